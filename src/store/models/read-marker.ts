import { Schema } from 'mongoose';
import type { ReadMarkerRecord } from '../records/read-marker.ts';
import { baseOptions, requiredString } from './common.ts';

export const readMarkerSchema = new Schema<ReadMarkerRecord>(
  {
    _id: requiredString,
    account_id: requiredString,
    conversation_id: requiredString,
    reader_id: requiredString,
    last_read_sequence: { type: Number, required: true, min: 0 },
  },
  baseOptions('read_markers'),
);

// One marker per reader and conversation; a page of conversations reads its
// markers by this index in one query.
readMarkerSchema.index({ reader_id: 1, conversation_id: 1 }, { unique: true });
readMarkerSchema.index({ account_id: 1, conversation_id: 1 });
