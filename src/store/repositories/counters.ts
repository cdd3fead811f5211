import { isDuplicateKeyError } from '../errors.ts';
import type { Models } from '../models/index.ts';

export function createCountersRepository({ Counter }: Models) {
  return {
    /**
     * The next case number of an account: 1, 2, 3... One atomic `$inc` on one
     * document, so concurrent callers never get the same number and the
     * counter itself never skips one.
     */
    async nextCaseNumber(accountId: string): Promise<number> {
      return next(`case_number:${accountId}`);
    },
  };

  async function next(id: string): Promise<number> {
    // Two first-ever upserts can race to insert the counter; the loser sees
    // E11000 (servers before 4.2 do not retry this themselves), and its retry
    // then finds the document and increments it.
    for (let attempt = 0; ; attempt++) {
      try {
        const counter = await Counter.findOneAndUpdate(
          { _id: id },
          { $inc: { seq: 1 } },
          { upsert: true, returnDocument: 'after' },
        )
          .lean<{ seq: number }>()
          .exec();
        if (!counter) throw new Error(`counter ${id} was not upserted`);
        return counter.seq;
      } catch (error) {
        if (attempt < 3 && isDuplicateKeyError(error)) continue;
        throw error;
      }
    }
  }
}
