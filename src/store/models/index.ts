// Binds every schema to one connection. Models are created per connection
// (never on the global mongoose), so tests can hold several stores at once.
import type { Connection, Model } from 'mongoose';
import type { AccountRecord } from '../records/account.ts';
import type { ActorRecord } from '../records/actor.ts';
import type { AgentRunRecord } from '../records/agent-run.ts';
import type { AgentRecord } from '../records/agent.ts';
import type { ApiKeyRecord } from '../records/api-key.ts';
import type { AuditRecord } from '../records/audit.ts';
import type { ConversationRecord } from '../records/conversation.ts';
import type { MailboxRecord } from '../records/mailbox.ts';
import type { MessageRecord } from '../records/message.ts';
import type { ReadMarkerRecord } from '../records/read-marker.ts';
import type { UserRecord } from '../records/user.ts';
import type { WebhookDeliveryRecord, WebhookEndpointRecord } from '../records/webhook.ts';
import { accountSchema } from './account.ts';
import { actorSchema } from './actor.ts';
import { agentRunSchema } from './agent-run.ts';
import { agentSchema } from './agent.ts';
import { apiKeySchema } from './api-key.ts';
import { auditSchema } from './audit.ts';
import { conversationSchema } from './conversation.ts';
import { idempotencyKeySchema, type IdempotencyRecord } from './idempotency-key.ts';
import {
  knowledgeDocumentSchema,
  knowledgeStateSchema,
  type KnowledgeStateRecord,
} from './knowledge.ts';
import type { KnowledgeDocumentRecord } from '../records/knowledge.ts';
import { inboundFailureSchema, type InboundFailureRecord } from './inbound-failure.ts';
import { mailboxSchema } from './mailbox.ts';
import { messageSchema } from './message.ts';
import { readMarkerSchema } from './read-marker.ts';
import { settingSchema, type SettingRecord } from './setting.ts';
import { webSessionSchema, type WebSessionRecord } from './web-session.ts';
import { userSchema } from './user.ts';
import { webhookDeliverySchema, webhookEndpointSchema } from './webhook.ts';
import { editExampleSchema } from './edit-example.ts';
import type { EditExampleRecord } from '../records/edit-example.ts';

export interface Models {
  Account: Model<AccountRecord>;
  Actor: Model<ActorRecord>;
  ApiKey: Model<ApiKeyRecord>;
  Agent: Model<AgentRecord>;
  Mailbox: Model<MailboxRecord>;
  Conversation: Model<ConversationRecord>;
  Message: Model<MessageRecord>;
  AgentRun: Model<AgentRunRecord>;
  IdempotencyKey: Model<IdempotencyRecord>;
  InboundFailure: Model<InboundFailureRecord>;
  Setting: Model<SettingRecord>;
  WebSession: Model<WebSessionRecord>;
  User: Model<UserRecord>;
  ReadMarker: Model<ReadMarkerRecord>;
  Audit: Model<AuditRecord>;
  WebhookEndpoint: Model<WebhookEndpointRecord>;
  WebhookDelivery: Model<WebhookDeliveryRecord>;
  EditExample: Model<EditExampleRecord>;
  KnowledgeDocument: Model<KnowledgeDocumentRecord>;
  KnowledgeState: Model<KnowledgeStateRecord>;
}

export function createModels(connection: Connection): Models {
  return {
    Account: connection.model<AccountRecord>('Account', accountSchema),
    Actor: connection.model<ActorRecord>('Actor', actorSchema),
    ApiKey: connection.model<ApiKeyRecord>('ApiKey', apiKeySchema),
    Agent: connection.model<AgentRecord>('Agent', agentSchema),
    Mailbox: connection.model<MailboxRecord>('Mailbox', mailboxSchema),
    Conversation: connection.model<ConversationRecord>('Conversation', conversationSchema),
    Message: connection.model<MessageRecord>('Message', messageSchema),
    AgentRun: connection.model<AgentRunRecord>('AgentRun', agentRunSchema),
    IdempotencyKey: connection.model<IdempotencyRecord>('IdempotencyKey', idempotencyKeySchema),
    InboundFailure: connection.model<InboundFailureRecord>('InboundFailure', inboundFailureSchema),
    Setting: connection.model<SettingRecord>('Setting', settingSchema),
    WebSession: connection.model<WebSessionRecord>('WebSession', webSessionSchema),
    User: connection.model<UserRecord>('User', userSchema),
    ReadMarker: connection.model<ReadMarkerRecord>('ReadMarker', readMarkerSchema),
    Audit: connection.model<AuditRecord>('Audit', auditSchema),
    WebhookEndpoint: connection.model<WebhookEndpointRecord>(
      'WebhookEndpoint',
      webhookEndpointSchema,
    ),
    WebhookDelivery: connection.model<WebhookDeliveryRecord>(
      'WebhookDelivery',
      webhookDeliverySchema,
    ),
    EditExample: connection.model<EditExampleRecord>('EditExample', editExampleSchema),
    KnowledgeDocument: connection.model<KnowledgeDocumentRecord>(
      'KnowledgeDocument',
      knowledgeDocumentSchema,
    ),
    KnowledgeState: connection.model<KnowledgeStateRecord>('KnowledgeState', knowledgeStateSchema),
  };
}
