// Where a mailbox's mail goes, and where its Sent folder is: the stored
// settings plus the login (credentials/mailbox-credentials.ts resolves it:
// the config's password, one given through the API, or an OAuth2 token).
import type { Bootstrap, MailboxConfig } from '../config/bootstrap-schema.ts';
import type { SentFolderRoute } from '../mail/imap/sent-folder-types.ts';
import type { MailAuth } from '../mail/imap/types.ts';
import type { OutboundRoute } from '../mail/smtp/types.ts';
import type { MailboxRecord } from '../store/index.ts';

function configOf(mailbox: MailboxRecord, bootstrap: Bootstrap): MailboxConfig | undefined {
  return bootstrap.accounts
    .find((account) => account.id === mailbox.account_id)
    ?.mailboxes.find((m) => m.id === mailbox.key);
}

/** The config's password login, for callers without resolved credentials. */
function configAuth(
  auth: { user: string; pass?: string | undefined } | undefined,
): MailAuth | null {
  return auth?.pass !== undefined ? { user: auth.user, pass: auth.pass } : null;
}

/** `auth`: the resolved SMTP login (undefined: the config's password). */
export function outboundRoute(
  mailbox: MailboxRecord,
  bootstrap: Bootstrap,
  auth?: MailAuth | null,
): OutboundRoute | null {
  const { outbound } = mailbox;
  switch (outbound.kind) {
    case 'outbox_folder':
      return outbound.outbox_folder ? { kind: 'outbox_folder', dir: outbound.outbox_folder } : null;
    case 'smtp': {
      const smtp = outbound.smtp;
      if (!smtp) return null;
      const config = configOf(mailbox, bootstrap)?.smtp;
      return {
        kind: 'smtp',
        key: `${mailbox.account_id}/${mailbox.key}`,
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        requireTls: config?.require_tls === true,
        auth: auth === undefined ? configAuth(config?.auth) : auth,
        poolSize: smtp.pool_size,
      };
    }
  }
}

/** The mailbox's Sent folder (null without IMAP), and whether Postroom files replies there. */
export function sentFolderRoute(
  mailbox: MailboxRecord,
  bootstrap: Bootstrap,
  auth?: MailAuth | null,
): { route: SentFolderRoute; append: boolean } | null {
  const { imap } = mailbox;
  const config = configOf(mailbox, bootstrap)?.imap;
  const login = auth === undefined ? configAuth(config?.auth) : auth;
  if (!imap || !login) return null;
  return {
    route: {
      key: `${mailbox.account_id}/${mailbox.key}`,
      host: imap.host,
      port: imap.port,
      secure: imap.secure,
      require_tls: config?.require_tls === true,
      auth: login,
      folder: imap.sent_folder ?? null,
    },
    append: imap.append_sent === true,
  };
}
