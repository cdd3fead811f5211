import { Schema } from 'mongoose';
import { baseOptions, requiredString } from './common.ts';

export interface CounterRecord {
  /** `case_number:<account>` */
  _id: string;
  seq: number;
}

export const counterSchema = new Schema<CounterRecord>(
  { _id: requiredString, seq: { type: Number, required: true } },
  baseOptions('counters', false),
);
