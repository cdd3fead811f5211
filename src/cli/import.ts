// `postroom import`: .eml files, mbox files and Maildir folders into a
// mailbox, through the same ingest as mail that arrives (dedupe, threading,
// quarantine of our own mail), one message at a time in the order read so
// replies find their cases. Imported mail is history: no agent drafts a reply
// to it and no approved reply is cancelled by it.
import { createHash } from 'node:crypto';
import { ingestEmail } from '../inbound/ingest/ingest-email.ts';
import type { CliContext } from './context.ts';
import { countMessages, readMessages } from './mail-sources.ts';
import { progressBar } from './output.ts';
import { UsageError } from './usage-error.ts';

export interface ImportSummary {
  stored: number;
  duplicates: number;
  quarantined: number;
  failed: Array<{ name: string; reason: string }>;
}

export async function importMail(
  cli: CliContext,
  target: { account: string; mailbox: string },
  paths: string[],
  options: { progress?: boolean } = {},
): Promise<ImportSummary> {
  const store = await cli.store();
  const mailbox = await store.mailboxes.getByKey(target.account, target.mailbox);
  if (!mailbox)
    throw new UsageError(
      `there is no mailbox "${target.mailbox}" in account "${target.account}" (apply the config that defines it first)`,
    );
  let total = 0;
  for (const path of paths) total += await countMessages(path);
  const progress = options.progress === false ? null : progressBar(total, 'importing');
  const summary: ImportSummary = { stored: 0, duplicates: 0, quarantined: 0, failed: [] };
  let done = 0;
  progress?.tick(0);
  for (const path of paths) {
    for await (const message of readMessages(path)) {
      const sha256 = createHash('sha256').update(message.raw).digest('hex');
      try {
        const outcome = await ingestEmail(
          { store, logger: cli.logger, maxMailBytes: cli.env.POSTROOM_MAX_MAIL_BYTES },
          {
            account_id: mailbox.account_id,
            mailbox_id: mailbox.key,
            source: { kind: 'file', name: `import-${sha256.slice(0, 16)}-${message.name}`, sha256 },
            raw: { kind: 'inline', base64: message.raw.toString('base64') },
          },
        );
        if (outcome.kind === 'stored' || outcome.kind === 'own') summary.stored++;
        else if (outcome.kind === 'quarantined') summary.quarantined++;
        else if (outcome.kind === 'duplicate') summary.duplicates++;
        else summary.failed.push({ name: message.name, reason: 'deferred by the ingest' });
      } catch (error) {
        summary.failed.push({ name: message.name, reason: (error as Error).message });
      }
      progress?.tick(++done);
    }
  }
  progress?.end();
  return summary;
}
