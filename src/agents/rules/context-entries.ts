// One timeline message as one labelled chat message for the model. Who wrote it
// decides the role and whether the text is wrapped as untrusted:
// - the support side's replies to the customer (agents and teammates) are
//   `assistant` turns;
// - internal notes, alerts and system events are `user` turns, labelled;
// - anything not provably written by a teammate, an agent or Postroom (inbound
//   mail, customer chat, an author we cannot resolve) is customer content: a
//   `user` turn whose text, sender, subject and attachment names sit inside the
//   untrusted wrapper, because the customer controls all of them.
import type {
  ActorType,
  AttachmentKind,
  MessageKind,
  MessageStatus,
  Visibility,
} from '../../conversations/enums.ts';
import type { EmailAddress } from '../../store/records/message.ts';
import { wrapUntrusted } from './untrusted.ts';

/** The fields of a chat_message the context reads (a MessageRecord fits). */
export interface ContextMessage {
  _id: string;
  kind: MessageKind;
  status: MessageStatus;
  visibility: Visibility;
  body: string | null;
  text_new: string | null;
  subject: string | null;
  sender_id: string | null;
  author_id: string | null;
  attachments: readonly { kind: AttachmentKind; filename: string | null; url: string | null }[];
  email: { from: EmailAddress | null } | null;
  created_at: Date;
  deleted_at: Date | null;
}

export interface ContextActor {
  type: ActorType;
  name: string | null;
  handle: string | null;
}

export type ChatRole = 'system' | 'user' | 'assistant';

type Source =
  | { type: 'customer' }
  | { type: 'reply'; name: string; by: 'teammate' | 'AI agent' }
  | { type: 'note'; name: string }
  | { type: 'system'; label: string };

export interface RenderOptions {
  /** Replaces the message's text (the trigger, cut to fit the budget). */
  text?: string;
  /** Code points dropped from the start of the text, for the label. */
  omittedChars?: number;
}

function actorName(actor: ContextActor | undefined, fallback: string): string {
  return actor?.name?.trim() || actor?.handle?.trim() || fallback;
}

function sourceOf(message: ContextMessage, actor: ContextActor | undefined): Source {
  if (message.kind === 'alert') return { type: 'system', label: 'Alert (internal)' };
  if (message.kind === 'system_event' || message.visibility === 'system') {
    return { type: 'system', label: 'System event (internal)' };
  }
  if (!actor) {
    // An agent's message is ours even when its actor was not looked up.
    if (message.kind === 'agent') return asStaff(message, 'an AI agent', 'AI agent');
    return { type: 'customer' };
  }
  if (actor.type === 'agent') return asStaff(message, actorName(actor, 'an AI agent'), 'AI agent');
  return asStaff(message, actorName(actor, 'a teammate'), 'teammate');
}

function asStaff(message: ContextMessage, name: string, by: 'teammate' | 'AI agent'): Source {
  return message.visibility === 'internal' ? { type: 'note', name } : { type: 'reply', name, by };
}

/** The text a message contributes: the new part of a mail, else its body. */
export function messageText(message: ContextMessage): string {
  if (message.kind === 'email' && message.text_new?.trim()) return message.text_new;
  return message.body ?? '';
}

function formatWhen(date: Date): string {
  const time = new Date(date);
  return Number.isNaN(time.getTime())
    ? 'unknown time'
    : `${time.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function attachmentLine(message: ContextMessage): string | null {
  if (message.attachments.length === 0) return null;
  const names = message.attachments.map(
    (a) => a.filename?.trim() || a.url?.trim() || `(unnamed ${a.kind})`,
  );
  return `Attachments: ${names.join(', ')}`;
}

function formatAddress(from: EmailAddress | null): string {
  if (!from) return 'unknown sender';
  return from.name?.trim() ? `${from.name.trim()} <${from.address}>` : from.address;
}

export interface RenderedEntry {
  role: Exclude<ChatRole, 'system'>;
  content: string;
}

/** The message as a chat turn: a trusted label line, then its (maybe wrapped) text. */
export function renderEntry(
  message: ContextMessage,
  actor: ContextActor | undefined,
  options: RenderOptions = {},
): RenderedEntry {
  const source = sourceOf(message, actor);
  const when = formatWhen(message.created_at);
  const rawText = options.text ?? messageText(message);
  const text = rawText.trim() ? rawText : '(no text)';
  const cut = options.omittedChars
    ? ` [the first ${options.omittedChars} characters of this message were omitted to fit the context]`
    : '';
  const attachments = attachmentLine(message);
  switch (source.type) {
    case 'customer': {
      const isEmail = message.kind === 'email';
      const label = `[${when}] ${isEmail ? 'Email' : 'Message'} from the customer (external):${cut}`;
      const inner = [
        ...(isEmail ? [`From: ${formatAddress(message.email?.from ?? null)}`] : []),
        ...(isEmail && message.subject ? [`Subject: ${message.subject}`] : []),
        ...(isEmail ? [''] : []),
        text,
        ...(attachments ? ['', attachments] : []),
      ].join('\n');
      return { role: 'user', content: `${label}\n${wrapUntrusted(inner)}` };
    }
    case 'reply':
      return {
        role: 'assistant',
        content: withBody(
          `[${when}] Reply to the customer from ${source.name} (${source.by}, external):${cut}`,
          text,
          attachments,
        ),
      };
    case 'note':
      return {
        role: 'user',
        content: withBody(
          `[${when}] Internal note from ${source.name} (not visible to the customer):${cut}`,
          text,
          attachments,
        ),
      };
    case 'system':
      return {
        role: 'user',
        content: withBody(`[${when}] ${source.label}:${cut}`, text, attachments),
      };
    default:
      return source satisfies never;
  }
}

function withBody(label: string, text: string, attachments: string | null): string {
  return [label, text, ...(attachments ? [attachments] : [])].join('\n');
}
