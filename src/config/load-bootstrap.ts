// Read and validate the POSTROOM_CONFIG file. Errors name the file and the
// JSON path of the setting at fault, e.g. `accounts[0].agents[1].provider`.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError, formatPath } from './config-error.ts';
import { bootstrapSchema, type Bootstrap } from './bootstrap-schema.ts';
import { deepFreeze } from './freeze.ts';

export async function loadBootstrap(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Bootstrap> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError('POSTROOM_CONFIG', `cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      'POSTROOM_CONFIG',
      `${path} is not valid JSON: ${(error as Error).message}`,
    );
  }
  return parseBootstrap(json, env, path);
}

export function parseBootstrap(
  json: unknown,
  env: NodeJS.ProcessEnv,
  source = 'bootstrap',
): Bootstrap {
  const result = bootstrapSchema(env).safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(
      `POSTROOM_CONFIG (${source}) ${issue ? formatPath(issue.path) : ''}`.trim(),
      issue?.message ?? 'invalid',
    );
  }
  // Folders are relative to the config file, so an example config works from any cwd.
  const base = dirname(resolve(source));
  for (const account of result.data.accounts) {
    for (const mailbox of account.mailboxes) {
      if (mailbox.drop_folder && !isAbsolute(mailbox.drop_folder))
        mailbox.drop_folder = resolve(base, mailbox.drop_folder);
      if (mailbox.outbox_folder && !isAbsolute(mailbox.outbox_folder))
        mailbox.outbox_folder = resolve(base, mailbox.outbox_folder);
    }
  }
  return deepFreeze(result.data);
}
