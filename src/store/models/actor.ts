import { Schema } from 'mongoose';
import { ACTOR_TYPES } from '../../conversations/enums.ts';
import type { ActorRecord } from '../records/actor.ts';
import { baseOptions, enumOf, nullableString, requiredString } from './common.ts';

export const actorSchema = new Schema<ActorRecord>(
  {
    _id: requiredString,
    account_id: requiredString,
    type: enumOf(ACTOR_TYPES),
    name: nullableString,
    handle: nullableString,
    avatar_url: nullableString,
  },
  baseOptions('actors'),
);

actorSchema.index({ account_id: 1, type: 1 });
