import { Schema } from 'mongoose';
import type { KnowledgeDocumentRecord } from '../records/knowledge.ts';
import { baseOptions, enumOf, nullableDate, nullableString, requiredString } from './common.ts';

export const knowledgeDocumentSchema = new Schema<KnowledgeDocumentRecord>(
  {
    _id: requiredString,
    account_id: requiredString,
    source: enumOf(['folder', 'upload', 'reply'] as const),
    title: { type: String, default: '' },
    format: enumOf(['markdown', 'html', 'text'] as const),
    content: { type: String, default: '' },
    checksum: requiredString,
    path: nullableString,
    conversation_id: nullableString,
    message_id: nullableString,
    deleted_at: nullableDate,
  },
  baseOptions('knowledge_documents'),
);

// Listing an account's documents newest first, and loading them all to index.
knowledgeDocumentSchema.index({ account_id: 1, created_at: -1, _id: -1 });
// Redaction removes a conversation's replies.
knowledgeDocumentSchema.index({ account_id: 1, conversation_id: 1 });

/** A per-account counter every change bumps: each process's index rebuilds when it moved. */
export interface KnowledgeStateRecord {
  _id: string;
  revision: number;
  created_at: Date;
  updated_at: Date;
}

export const knowledgeStateSchema = new Schema<KnowledgeStateRecord>(
  { _id: requiredString, revision: { type: Number, default: 0 } },
  baseOptions('knowledge_state'),
);
