// Opening the case of a new thread, and the sender's participant on a case.
import type { NewMailDecision } from '../../conversations/dedupe.ts';
import { normalizeSubject, type ParsedEmail } from '../../mail/parse/index.ts';
import type {
  ConversationRecord,
  CustomerRef,
  MailboxRecord,
  ParticipantRecord,
  Store,
} from '../../store/index.ts';

/** A new case for `email`, claimed by its thread root (see inbound.openThread). */
export async function openCase(
  store: Store,
  mailbox: MailboxRecord,
  email: ParsedEmail,
  root: {
    message_id: string;
    content_hash: string;
    decision: NewMailDecision;
  },
  now: Date,
): Promise<ConversationRecord | null> {
  const agents = (await store.agents.getMany(mailbox.account_id, mailbox.agent_ids)).filter(
    (agent) => agent.status === 'active',
  );
  const subject = normalizeSubject(email.subject);
  return store.inbound.openThread({
    account_id: mailbox.account_id,
    type: 'group',
    audience: 'customer',
    title: subject || '(no subject)',
    workflow_status: 'new',
    mailbox_id: mailbox.key,
    // A reused Message-ID is another case's root already: its dedupe key claims this one.
    email_thread: root.decision.reused
      ? {
          root_message_id: null,
          root_key: root.decision.dedupe_key,
          root_hash: root.content_hash,
          subject_normalized: subject || null,
        }
      : {
          root_message_id: root.message_id,
          root_hash: root.content_hash,
          subject_normalized: subject || null,
        },
    participants: [
      ...(email.from
        ? [
            {
              type: 'customer' as const,
              role: 'member' as const,
              customer: {
                name: email.from.name || null,
                address: email.from.address.toLowerCase(),
              },
              joined_at: now,
            },
          ]
        : []),
      ...agents.map((agent) => ({
        type: 'agent' as const,
        role: 'member' as const,
        actor_id: agent._id,
        agent_trigger_policy: agent.trigger_policy,
        agent_trigger_keywords: agent.trigger_keywords,
        joined_at: now,
      })),
    ],
  });
}

/**
 * The sender's participant on the case, added first when missing (unless the mail is
 * automated). A case just opened, or one already listing the sender, is answer enough;
 * otherwise the participant is read back after the conditional add, whoever added it.
 */
export async function participantOf(
  store: Store,
  conversation: ConversationRecord,
  customer: CustomerRef,
  opened: boolean,
  automated: boolean,
  now: Date,
): Promise<ParticipantRecord | undefined> {
  const listed = conversation.participants.find((p) => p.customer?.address === customer.address);
  if (opened || listed) return listed;
  if (automated) return undefined;
  await store.inbound.addCustomer(conversation, customer, now);
  return (
    await store.conversations.get(conversation.account_id, conversation._id)
  )?.participants.find((p) => p.customer?.address === customer.address);
}
