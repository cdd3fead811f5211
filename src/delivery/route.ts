// Where a mailbox's mail goes, and where its Sent folder is: the stored
// settings plus the SMTP and IMAP passwords, which live only in the parsed
// config (never in MongoDB).
import type { Bootstrap, MailboxConfig } from '../config/bootstrap-schema.ts';
import type { SentFolderRoute } from '../mail/imap/sent-folder-types.ts';
import type { OutboundRoute } from '../mail/smtp/types.ts';
import type { MailboxRecord } from '../store/index.ts';

function configOf(mailbox: MailboxRecord, bootstrap: Bootstrap): MailboxConfig | undefined {
  return bootstrap.accounts
    .find((account) => account.id === mailbox.account_id)
    ?.mailboxes.find((m) => m.id === mailbox.key);
}

export function outboundRoute(mailbox: MailboxRecord, bootstrap: Bootstrap): OutboundRoute | null {
  const { outbound } = mailbox;
  switch (outbound.kind) {
    case 'outbox_folder':
      return outbound.outbox_folder ? { kind: 'outbox_folder', dir: outbound.outbox_folder } : null;
    case 'smtp': {
      const smtp = outbound.smtp;
      if (!smtp) return null;
      const auth = configOf(mailbox, bootstrap)?.smtp?.auth;
      return {
        kind: 'smtp',
        key: `${mailbox.account_id}/${mailbox.key}`,
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        auth: auth ? { user: auth.user, pass: auth.pass } : null,
        poolSize: smtp.pool_size,
      };
    }
  }
}

/** The mailbox's Sent folder (null without IMAP), and whether Postroom files replies there. */
export function sentFolderRoute(
  mailbox: MailboxRecord,
  bootstrap: Bootstrap,
): { route: SentFolderRoute; append: boolean } | null {
  const { imap } = mailbox;
  const pass = configOf(mailbox, bootstrap)?.imap?.auth.pass;
  if (!imap || !pass) return null;
  return {
    route: {
      key: `${mailbox.account_id}/${mailbox.key}`,
      host: imap.host,
      port: imap.port,
      secure: imap.secure,
      auth: { user: imap.user, pass },
      folder: imap.sent_folder ?? null,
    },
    append: imap.append_sent === true,
  };
}
