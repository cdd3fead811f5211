import { Schema } from 'mongoose';
import { baseOptions, requiredString } from './common.ts';

/**
 * A deployment-wide value every process must agree on, created once (e.g. the
 * key that signs attachment download URLs when none is configured).
 */
export interface SettingRecord {
  _id: string;
  value: string;
  created_at: Date;
  updated_at: Date;
}

export const settingSchema = new Schema<SettingRecord>(
  { _id: requiredString, value: requiredString },
  baseOptions('settings'),
);
