/** Where a knowledge document came from. */
export type KnowledgeSource = 'folder' | 'upload' | 'reply';
export type KnowledgeFormat = 'markdown' | 'html' | 'text';

/**
 * One document of an account's knowledge base: a file of the bootstrap's
 * knowledge folder, an upload, or a copy of an approved reply. The passages
 * the index ranks are cut from `content` in each process (src/knowledge).
 */
export interface KnowledgeDocumentRecord {
  _id: string;
  account_id: string;
  source: KnowledgeSource;
  title: string;
  format: KnowledgeFormat;
  content: string;
  /** sha256 of content, hex: a folder file re-read unchanged is not rewritten. */
  checksum: string;
  /** The file's path inside the knowledge folder (folder documents). */
  path: string | null;
  /** The conversation and message a reply was copied from (reply documents). */
  conversation_id: string | null;
  message_id: string | null;
  /**
   * A reply removed from the knowledge base by a human: kept as a tombstone so
   * the next sync of approved replies does not copy it back. Null otherwise.
   */
  deleted_at: Date | null;
  created_at: Date;
  updated_at: Date;
}
