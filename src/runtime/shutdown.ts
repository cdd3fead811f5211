// Orderly shutdown: closers run in reverse start order (stop taking work
// first, close connections last), each bounded, so SIGTERM ends the process
// within 10 s even when a dependency hangs.
import type { Logger } from '../platform/logger.ts';

type Closer = { name: string; close: () => Promise<void> };

export class Shutdown {
  private readonly closers: Closer[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  /** Register something to close; later registrations close first. */
  add(name: string, close: () => Promise<void>): void {
    this.closers.push({ name, close });
  }

  get started(): boolean {
    return this.running !== undefined;
  }

  run(deadlineMs: number): Promise<void> {
    this.running ??= this.closeAll(deadlineMs);
    return this.running;
  }

  private async closeAll(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    for (const closer of [...this.closers].reverse()) {
      const left = Math.max(deadline - Date.now(), 100);
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          closer.close(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`did not close within ${left} ms`)), left);
          }),
        ]);
        this.logger.debug({ component: closer.name }, 'closed');
      } catch (error) {
        this.logger.warn(
          { err: error, component: closer.name },
          'close failed; continuing shutdown',
        );
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
