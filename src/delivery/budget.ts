// The attempt budget of a message: the mailbox's max_attempts bound the
// attempts made since the budget began. A human's retry of a failed message
// starts a new budget (delivery.budget_start) without resetting the count,
// so `delivery.attempts` stays the number of SMTP transactions ever begun.
import type { DeliveryState } from '../store/index.ts';

/** Attempts made in the current budget (all of them until a human retries). */
export function attemptsInBudget(
  delivery: Pick<DeliveryState, 'attempts' | 'budget_start'> | null | undefined,
): number {
  if (!delivery) return 0;
  return Math.max(0, delivery.attempts - (delivery.budget_start ?? 0));
}
