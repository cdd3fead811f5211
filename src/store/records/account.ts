// Plain shapes of stored documents, as `lean()` returns them. Callers outside
// the store see only these, never mongoose documents.

/** The tenant. `_id` is the id from the bootstrap file (e.g. "acme"). */
export interface AccountRecord {
  _id: string;
  name: string;
  settings: AccountSettings;
  created_at: Date;
  updated_at: Date;
}

interface AccountSettings {
  /** Cost and loop guard: agent runs one conversation may start per hour. */
  agent_runs_per_conversation_per_hour: number;
}
