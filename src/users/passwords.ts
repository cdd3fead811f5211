// Password hashing: argon2id (memory-hard; OWASP's first recommendation) from
// the `argon2` package, whose npm tarball ships prebuilt N-API binaries, so
// installing downloads nothing beyond the registry. Hashes are PHC strings
// (`$argon2id$v=19$m=...`): algorithm, parameters and salt travel with them,
// so the parameters can be raised later without invalidating old hashes.
import argon2 from 'argon2';

/** Longer passwords cost hashing time for nothing: a bound against request floods. */
export const MAX_PASSWORD_LENGTH = 256;
export const MIN_PASSWORD_LENGTH = 8;

// OWASP's argon2id parameters (19 MiB, 2 passes, 1 lane): tens of
// milliseconds per sign-in on one core, so a flood of sign-ins cannot pin the
// API's CPUs for long. Old hashes keep their own parameters (PHC string).
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export async function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

/**
 * Whether `password` matches `hash`. The comparison inside argon2 is
 * constant-time; a malformed hash is a mismatch, not an error.
 */
export async function passwordMatches(hash: string, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;

/**
 * Spends the time one verification takes, for a sign-in whose address has no
 * user (or no password): the answer then takes as long as a wrong password,
 * so timing does not tell which addresses exist.
 */
export async function spendVerificationTime(password: string): Promise<void> {
  dummy ??= hashPassword('postroom timing dummy, never a real password');
  await passwordMatches(await dummy, password);
}
