/**
 * A draft an agent wrote and the text a human approved instead: the agent's
 * later runs are shown the closest ones as examples of what the team wants.
 * One per draft message (a re-approval replaces it); erased with its conversation.
 */
export interface EditExampleRecord {
  _id: string;
  account_id: string;
  agent_id: string;
  conversation_id: string;
  message_id: string;
  /** The customer's message the draft answered: what "closest" is measured on. */
  trigger_text: string;
  draft: string;
  approved: string;
  edit_ratio: number;
  created_at: Date;
  updated_at: Date;
}
