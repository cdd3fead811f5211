// Names of the unique indexes whose E11000 callers act on. Given explicitly in
// the schemas (equal to MongoDB's default names) so isDuplicateKeyError(e, NAME)
// can tell "already ingested" from "sequence taken" from "client retry".
export const UNIQUE_INDEX = {
  /** chat_messages: one sequence per conversation. */
  messageSequence: 'conversation_id_1_sequence_1',
  /** chat_messages: one copy of a mail per mailbox (inbound dedupe, conversations/dedupe.ts). */
  messageDedupeKey: 'account_id_1_mailbox_id_1_email.dedupe_key_1',
  /** chat_messages: a client's retried POST. */
  messageClientId: 'conversation_id_1_client_message_id_1',
  /** conversations: case numbers. */
  caseNumber: 'account_id_1_case_number_1',
  /** conversations: reply tokens. */
  replyToken: 'account_id_1_email_thread.reply_token_1',
  /** conversations: one case per thread root in a mailbox (concurrent ingest of one new thread). */
  threadRoot: 'account_id_1_mailbox_id_1_email_thread.root_message_id_1',
  /** conversations: one case per thread root whose Message-ID another mail reused. */
  threadRootKey: 'account_id_1_mailbox_id_1_email_thread.root_key_1',
  /** inbound_failures: one record per failed ingest job. */
  inboundFailureJob: 'job_id_1',
  /** agents: one agent per handle (case-insensitive) in an account. */
  agentHandle: 'account_id_1_handle_lower_1',
  /** users: one user per email address (lower-cased) in an account. */
  userEmail: 'account_id_1_email_1',
  /** agent_runs: one run per trigger and agent. */
  agentRunTrigger: 'trigger_message_id_1_agent_id_1',
} as const;

/**
 * Indexes earlier versions created that now stand in the way: dropped at start
 * (connect.ts) when a database still has them. The unique Message-ID index
 * refused a second, different mail reusing an id (see messageDedupeKey).
 */
export const RETIRED_INDEXES: ReadonlyArray<{ collection: string; name: string }> = [
  { collection: 'chat_messages', name: 'account_id_1_mailbox_id_1_email.message_id_1' },
];
