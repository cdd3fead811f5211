// The outbox-folder alternative to SMTP: the same message nodemailer would
// send, written as <outbox>/<message id>.eml. Atomic (a temp file in the same
// folder, flushed, then renamed), so whatever picks files up never reads half
// a message, and a retried attempt replaces the file rather than adding one.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { renderMessage } from './compose.ts';
import type { OutboundMail, SendReceipt } from './types.ts';

export function outboxFileName(messageId: string): string {
  // Message-IDs are ours (random.msg_id@domain), but a path separator must never get through.
  return `${messageId.replace(/[^A-Za-z0-9._@+=-]/g, '_')}.eml`;
}

export async function writeToOutbox(dir: string, mail: OutboundMail): Promise<SendReceipt> {
  const raw = await renderMessage(mail);
  await mkdir(dir, { recursive: true });
  const name = outboxFileName(mail.messageId);
  const target = join(dir, name);
  // A dot-file: a watcher of *.eml never sees it.
  const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(raw);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  return { response: `written to ${target}`, accepted: mail.to.map((a) => a.address) };
}
