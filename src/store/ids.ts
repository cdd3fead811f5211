// Document ids: a type prefix and an ObjectId in hex (`msg_6566c0…`). The
// ObjectId starts with a timestamp, so ids sort by creation time and can break
// ties in cursor pagination; the prefix tells a reader what an id points to.
import { ObjectId } from 'mongodb';
import { createHash, randomBytes } from 'node:crypto';

const ID_PREFIXES = {
  actor: 'act',
  agent: 'agt',
  agentRun: 'run',
  apiKey: 'key',
  attachment: 'att',
  audit: 'aud',
  conversation: 'cnv',
  inboundFailure: 'inf',
  knowledgeDocument: 'kdoc',
  mailbox: 'mbx',
  message: 'msg',
  participant: 'par',
  user: 'usr',
  webhook: 'whk',
  webhookDelivery: 'whd',
  proposedAction: 'pac',
  editExample: 'edx',
} as const;
export type IdPrefix = (typeof ID_PREFIXES)[keyof typeof ID_PREFIXES];

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${new ObjectId().toHexString()}`;
}

/** Bootstrap agents keep one id across restarts, so mailboxes and runs can name them. */
export function agentIdFor(accountId: string, agentKey: string): string {
  return `${ID_PREFIXES.agent}_${accountId}_${agentKey}`;
}

/** Bootstrap users keep one id (also their actor's) across restarts, so keys can act as them. */
export function userIdFor(accountId: string, userKey: string): string {
  return `${ID_PREFIXES.user}_${accountId}_${userKey}`;
}

export function mailboxIdFor(accountId: string, mailboxKey: string): string {
  return `${ID_PREFIXES.mailbox}_${accountId}_${mailboxKey}`;
}

/**
 * A conversation's reply token: lower-case hex because it may travel in an
 * email local part or Message-ID, where case is not reliably preserved.
 * 64 bits: unguessable enough to not be a way into someone else's thread.
 */
export function newReplyToken(): string {
  return randomBytes(8).toString('hex');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * Message-IDs are stored bare (`abc@example.test`, no angle brackets or
 * spaces), so `<abc@example.test>` from one header and `abc@example.test` from
 * another meet in the dedupe and threading indexes.
 */
export function bareMessageId(id: string): string {
  return id.trim().replace(/^<+/, '').replace(/>+$/, '').trim();
}
