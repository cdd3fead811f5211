// A configuration problem: the process must stop and say which setting is wrong.
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    /** The setting at fault: an environment variable, or `POSTROOM_CONFIG: accounts[0].id`. */
    readonly setting: string,
    readonly problem: string,
  ) {
    super(`invalid configuration: ${setting}: ${problem}`);
  }
}

/** Render a zod issue path as `accounts[0].mailboxes[1].imap.port`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}
