// The bootstrap config a running process goes by: replaced as a whole on
// SIGHUP (after the new file validated), with listeners for the parts that
// must act on a change (the watcher reconnects a mailbox whose settings moved).
import type { Bootstrap } from './bootstrap-schema.ts';

type Listener = (next: Bootstrap, previous: Bootstrap) => void;

export class LiveConfig {
  private readonly listeners = new Set<Listener>();

  constructor(private value: Bootstrap) {}

  get current(): Bootstrap {
    return this.value;
  }

  replace(next: Bootstrap): void {
    const previous = this.value;
    this.value = next;
    for (const listener of this.listeners) listener(next, previous);
  }

  /** Returns the unsubscribe. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** `account/mailbox` ids whose settings (credentials included) differ between two configs. */
export function changedMailboxes(next: Bootstrap, previous: Bootstrap): Array<[string, string]> {
  const before = new Map<string, string>();
  for (const account of previous.accounts) {
    for (const mailbox of account.mailboxes) {
      before.set(`${account.id}\u0000${mailbox.id}`, JSON.stringify(mailbox));
    }
  }
  const changed: Array<[string, string]> = [];
  for (const account of next.accounts) {
    for (const mailbox of account.mailboxes) {
      const old = before.get(`${account.id}\u0000${mailbox.id}`);
      if (old !== undefined && old !== JSON.stringify(mailbox))
        changed.push([account.id, mailbox.id]);
    }
  }
  return changed;
}
