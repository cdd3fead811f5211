// Where a mailbox's mail goes: the stored outbound settings plus the SMTP
// password, which lives only in the parsed config (never in MongoDB).
import type { Bootstrap } from '../config/bootstrap-schema.ts';
import type { OutboundRoute } from '../mail/smtp/types.ts';
import type { MailboxRecord } from '../store/index.ts';

export function outboundRoute(mailbox: MailboxRecord, bootstrap: Bootstrap): OutboundRoute | null {
  const { outbound } = mailbox;
  switch (outbound.kind) {
    case 'outbox_folder':
      return outbound.outbox_folder ? { kind: 'outbox_folder', dir: outbound.outbox_folder } : null;
    case 'smtp': {
      const smtp = outbound.smtp;
      if (!smtp) return null;
      const config = bootstrap.accounts
        .find((account) => account.id === mailbox.account_id)
        ?.mailboxes.find((m) => m.id === mailbox.key);
      const auth = config?.smtp?.auth;
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
