// A one-slot doorbell between event handlers and the watcher loop: a ring while
// nobody waits is kept, so new mail announced mid-pass is never lost, and many
// rings before the next wait collapse into one pass.
export class Wakeup {
  private rung = false;
  private waiter: (() => void) | null = null;

  ring(): void {
    this.rung = true;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  /** Resolves at the next ring, at once if one came since the last wait. */
  wait(): Promise<void> {
    if (this.rung) {
      this.rung = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiter = () => {
        this.rung = false;
        resolve();
      };
    });
  }

  /** Forgets rings from an earlier connection. */
  clear(): void {
    this.rung = false;
  }
}
