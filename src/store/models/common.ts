// Shared schema options and field shorthands for every model.
import { Schema, type SchemaOptions } from 'mongoose';

/**
 * `strict: 'throw'` makes a misspelt field an error instead of silently
 * dropping it; `minimize: false` keeps empty sub-objects so documents keep one
 * shape; no `__v`: concurrency is handled by conditional atomic updates.
 */
export function baseOptions<T>(collection: string, timestamps = true): SchemaOptions<T> {
  return {
    collection,
    versionKey: false,
    minimize: false,
    strict: 'throw',
    id: false,
    autoIndex: false,
    autoCreate: false,
    ...(timestamps ? { timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' } } : {}),
  };
}

/** A sub-document schema without its own `_id`. */
export function subSchema(definition: Record<string, unknown>): Schema {
  return new Schema(definition, { _id: false, minimize: false, strict: 'throw', id: false });
}

export const nullableString = { type: String, default: null } as const;
export const nullableNumber = { type: Number, default: null } as const;
export const nullableDate = { type: Date, default: null } as const;
export const requiredString = { type: String, required: true } as const;

/** A required string restricted to `values`. */
export function enumOf<const V extends string>(values: readonly V[]) {
  return { type: String, enum: [...values], required: true as const };
}

/** A string restricted to `values`, with a default (null allowed). */
export function enumWithDefault<const V extends string>(values: readonly V[], value: V | null) {
  return { type: String, enum: [...values], default: value };
}

/** An optional embedded object that is `null` when absent. */
export function nullableSub(schema: Schema) {
  return { type: schema, default: null };
}

/** "Unique only when present": a partial filter on the value's BSON type, so nulls never collide. */
export function whenType(field: string, type: 'string' | 'number') {
  return { [field]: { $type: type } };
}
