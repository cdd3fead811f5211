// One BSON library for the whole process. The bson package ships an ES module
// and a CommonJS build, and each one, once loaded, keeps its own 17 MiB
// serialization buffer. The MongoDB driver (and mongoose) require the
// CommonJS build; importing 'bson' from our ES modules would load the other
// one too. So Postroom takes the driver's instance, whatever its build.
import { BSON } from 'mongodb';

export const {
  Binary,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  calculateObjectSize,
  deserialize,
  serialize,
} = BSON;

export type Binary = BSON.Binary;
export type Decimal128 = BSON.Decimal128;
export type Double = BSON.Double;
export type Int32 = BSON.Int32;
export type Long = BSON.Long;
export type MaxKey = BSON.MaxKey;
export type MinKey = BSON.MinKey;
export type ObjectId = BSON.ObjectId;
export type Timestamp = BSON.Timestamp;
