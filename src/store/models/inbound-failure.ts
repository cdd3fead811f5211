import { Schema } from 'mongoose';
import { UNIQUE_INDEX } from '../index-names.ts';
import {
  baseOptions,
  enumWithDefault,
  nullableDate,
  nullableNumber,
  nullableString,
  requiredString,
} from './common.ts';

/**
 * An inbound message whose ingest job failed for good, or that was set aside
 * on purpose (quarantined: mail from one of our own addresses that answers no
 * case): kept visible (API and logs) with its reason and, when it got that
 * far, its raw source, so nothing is dropped silently and it can be
 * re-ingested once the cause is fixed.
 */
export interface InboundFailureRecord {
  _id: string;
  account_id: string;
  mailbox_id: string;
  job_id: string;
  /** Absent on records from before quarantine existed: they are all `failed`. */
  kind?: InboundFailureKind;
  /** The mail's Message-ID (or synthetic id) when it was parsed. */
  message_id?: string | null;
  source: { kind: string; uidvalidity: string | null; uid: number | null; name: string | null };
  raw_source_id: string | null;
  reason: string;
  attempts: number;
  failed_at: Date;
  resolved_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const INBOUND_FAILURE_KINDS = ['failed', 'quarantined'] as const;
type InboundFailureKind = (typeof INBOUND_FAILURE_KINDS)[number];

export const inboundFailureSchema = new Schema<InboundFailureRecord>(
  {
    _id: requiredString,
    account_id: requiredString,
    mailbox_id: requiredString,
    job_id: requiredString,
    kind: enumWithDefault(INBOUND_FAILURE_KINDS, 'failed'),
    message_id: nullableString,
    source: {
      kind: requiredString,
      uidvalidity: nullableString,
      uid: nullableNumber,
      name: nullableString,
    },
    raw_source_id: nullableString,
    reason: requiredString,
    attempts: { type: Number, required: true },
    failed_at: { type: Date, required: true },
    resolved_at: nullableDate,
  },
  baseOptions('inbound_failures'),
);

inboundFailureSchema.index({ job_id: 1 }, { name: UNIQUE_INDEX.inboundFailureJob, unique: true });
inboundFailureSchema.index({ account_id: 1, failed_at: -1 });
