// The callers of syncNow(), each answered by the first pass that started after
// its call (a pass already running may have missed what the caller expects).
interface PassWaiter {
  minPass: number;
  resolve(): void;
  reject(error: Error): void;
}

export class PassWaiters {
  private waiters: PassWaiter[] = [];

  /** A promise answered by pass number `minPass` or a later one. */
  add(minPass: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ minPass, resolve, reject });
    });
  }

  /** Resolves (error null) or rejects the waiters pass `passNumber` answers; all by default. */
  settle(error: Error | null, passNumber = Number.POSITIVE_INFINITY): void {
    const answered = this.waiters.filter((waiter) => waiter.minPass <= passNumber);
    this.waiters = this.waiters.filter((waiter) => waiter.minPass > passNumber);
    for (const waiter of answered) {
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
  }
}
