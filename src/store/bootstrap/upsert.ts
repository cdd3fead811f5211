// Create-or-update of one document by a unique filter, writing only changed
// fields. Safe when several processes apply the same file at once: an insert
// that loses the race (E11000) turns into an update of the winner's document.
import type { Model, QueryFilter, UpdateQuery } from 'mongoose';
import { isDuplicateKeyError } from '../errors.ts';
import { changedFields } from './diff.ts';

export type Outcome = 'created' | 'updated' | 'unchanged';

export async function upsertOwned<T>(
  model: Model<T>,
  filter: Record<string, unknown>,
  desired: Record<string, unknown>,
  /** Fields set only when the document is created (ids, initial state). */
  onCreate: () => Record<string, unknown>,
): Promise<{ outcome: Outcome; doc: T }> {
  for (let attempt = 0; ; attempt++) {
    const stored = await model
      .findOne(filter as QueryFilter<T>)
      .lean<T & { _id: string }>()
      .exec();
    if (stored) {
      const changed = changedFields(stored as Record<string, unknown>, desired);
      if (Object.keys(changed).length === 0) return { outcome: 'unchanged', doc: stored };
      const updated = await model
        .findOneAndUpdate(
          { _id: stored._id } as QueryFilter<T>,
          { $set: changed } as UpdateQuery<T>,
          {
            returnDocument: 'after',
          },
        )
        .lean<T>()
        .exec();
      return { outcome: 'updated', doc: updated ?? stored };
    }
    try {
      const created = new model({ ...onCreate(), ...desired });
      await created.save();
      return { outcome: 'created', doc: created.toObject<T>() };
    } catch (error) {
      if (attempt < 2 && isDuplicateKeyError(error)) continue;
      throw error;
    }
  }
}
