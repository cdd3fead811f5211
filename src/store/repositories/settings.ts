import { randomBytes } from 'node:crypto';
import { isDuplicateKeyError } from '../errors.ts';
import type { Models } from '../models/index.ts';

export function createSettingsRepository({ Setting }: Models) {
  return {
    /**
     * A random secret (32 bytes, base64url) created the first time any process
     * asks for it and the same for every process after: the first upsert wins.
     */
    async secret(name: string): Promise<string> {
      for (let attempt = 0; ; attempt++) {
        try {
          const setting = await Setting.findOneAndUpdate(
            { _id: name },
            { $setOnInsert: { value: randomBytes(32).toString('base64url') } },
            { upsert: true, returnDocument: 'after' },
          )
            .lean<{ value: string }>()
            .exec();
          if (!setting) throw new Error(`setting ${name} was not upserted`);
          return setting.value;
        } catch (error) {
          // Two processes starting at once both insert; the loser reads the winner's value.
          if (attempt < 3 && isDuplicateKeyError(error)) continue;
          throw error;
        }
      }
    },
  };
}
