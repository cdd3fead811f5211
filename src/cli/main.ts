// `postroom <command>`: the operator's command line, beside the processes
// (same MONGODB_URI, REDIS_URL, POSTROOM_QUEUE_PREFIX and POSTROOM_CONFIG).
// Results go to stdout, logs (warnings and worse) to stderr. Exit codes: 0 done,
// 1 a check or an action failed, 2 a usage mistake, 78 a configuration error.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Bootstrap } from '../config/bootstrap-schema.ts';
import { ConfigError } from '../config/config-error.ts';
import { parseEnv } from '../config/env.ts';
import { loadBootstrap } from '../config/load-bootstrap.ts';
import { ApprovalError } from '../approval/errors.ts';
import { createLogger } from '../platform/logger.ts';
import { QUEUE_NAMES } from '../queues/catalog.ts';
import { applyBootstrap } from '../store/bootstrap.ts';
import { actOnCase, listCases, type CaseAction } from './cases.ts';
import { createCliContext, type CliContext } from './context.ts';
import { doctor } from './doctor.ts';
import { importMail } from './import.ts';
import { table } from './output.ts';
import { UsageError } from './usage-error.ts';

const USAGE = `usage: postroom <command> [options]

  apply-config [file] [--dry-run]     validate a config file (default: POSTROOM_CONFIG), then apply it
  import --mailbox <id> [--account <id>] <path>...
                                      store .eml files, mbox files or Maildir folders in a mailbox
  cases list [--account <id>] [--status <s>]... [--mailbox <id>] [--limit <n>]
  cases approve <message-or-case-id> [--account <id>] [--body <text>] [--as <actor>]
  cases reject <message-or-case-id> [--account <id>] [--reason <text>] [--as <actor>]
  cases retry <message-or-case-id> [--account <id>] [--as <actor>]
  queues stats                        jobs per queue and state
  doctor [--config <file>]            check every mailbox's IMAP, folder, SMTP and model endpoint

--account defaults to the only account there is. The environment (MONGODB_URI,
REDIS_URL, POSTROOM_QUEUE_PREFIX, POSTROOM_CONFIG) is read as the processes read it.`;

const OPTIONS = {
  account: { type: 'string' },
  mailbox: { type: 'string' },
  status: { type: 'string', multiple: true },
  limit: { type: 'string' },
  body: { type: 'string' },
  reason: { type: 'string' },
  as: { type: 'string' },
  config: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'no-progress': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>['values'];

async function configFile(
  path: string | undefined,
  env: { POSTROOM_CONFIG?: string | undefined },
): Promise<Bootstrap> {
  const file = path ?? env.POSTROOM_CONFIG;
  if (!file) throw new UsageError('name a config file, or set POSTROOM_CONFIG');
  return loadBootstrap(file);
}

async function accountOf(cli: CliContext, given: string | undefined): Promise<string> {
  if (given) return given;
  const accounts = await (await cli.store()).accounts.list();
  if (accounts.length === 1 && accounts[0]) return accounts[0]._id;
  throw new UsageError(
    accounts.length === 0
      ? 'there are no accounts yet: run apply-config first'
      : `name the account with --account (there are ${accounts.map((a) => a._id).join(', ')})`,
  );
}

async function run(cli: CliContext, command: string[], values: Values): Promise<number> {
  const [name, sub, ...rest] = command;
  switch (name) {
    case 'apply-config': {
      const bootstrap = await configFile(sub, cli.env);
      const counts = (key: 'mailboxes' | 'agents' | 'api_keys' | 'users') =>
        bootstrap.accounts.reduce((n, a) => n + a[key].length, 0);
      cli.out(
        `valid: ${bootstrap.accounts.length} account(s), ${counts('mailboxes')} mailbox(es), ${counts('agents')} agent(s), ${counts('users')} user(s), ${counts('api_keys')} API key(s)`,
      );
      if (values['dry-run']) return 0;
      const summary = await applyBootstrap(await cli.store(), bootstrap, cli.logger);
      for (const [kind, tally] of Object.entries(summary)) {
        const parts = Object.entries(tally as Record<string, number>)
          .filter(([, n]) => n > 0)
          .map(([outcome, n]) => `${n} ${outcome}`);
        cli.out(`${kind}: ${parts.join(', ') || 'nothing to do'}`);
      }
      cli.out('applied; running watchers pick up mailbox changes when they restart');
      return 0;
    }
    case 'import': {
      const paths = [sub, ...rest].filter((p): p is string => Boolean(p));
      if (!values.mailbox) throw new UsageError('import needs --mailbox <id>');
      if (paths.length === 0) throw new UsageError('import needs the files or folders to read');
      const account = await accountOf(cli, values.account);
      const summary = await importMail(cli, { account, mailbox: values.mailbox }, paths, {
        progress: !values['no-progress'],
      });
      cli.out(
        `stored ${summary.stored}, duplicates ${summary.duplicates}, quarantined ${summary.quarantined}, failed ${summary.failed.length}`,
      );
      for (const failure of summary.failed.slice(0, 20))
        cli.out(`  failed ${failure.name}: ${failure.reason}`);
      if (summary.failed.length > 20) cli.out(`  ... and ${summary.failed.length - 20} more`);
      return summary.failed.length > 0 ? 1 : 0;
    }
    case 'cases': {
      const account = await accountOf(cli, values.account);
      if (sub === 'list' || sub === undefined) {
        const limit = values.limit ? Number(values.limit) : 20;
        if (!Number.isInteger(limit) || limit < 1 || limit > 100)
          throw new UsageError('--limit must be a whole number from 1 to 100');
        await listCases(cli, account, {
          status: values.status ?? [],
          ...(values.mailbox ? { mailbox: values.mailbox } : {}),
          limit,
        });
        return 0;
      }
      if (sub !== 'approve' && sub !== 'reject' && sub !== 'retry')
        throw new UsageError(`unknown cases command "${sub}": list, approve, reject or retry`);
      const id = rest[0];
      if (!id) throw new UsageError(`cases ${sub} needs a message or case id`);
      const message = await actOnCase(cli, sub as CaseAction, account, id, {
        actor: values.as ?? 'cli',
        ...(values.body ? { body: values.body } : {}),
        ...(values.reason ? { reason: values.reason } : {}),
      });
      cli.out(
        `${message._id}: ${message.status}${message.scheduled_at ? `, to be sent ${message.scheduled_at.toISOString()}` : ''}`,
      );
      return 0;
    }
    case 'queues': {
      if (sub !== 'stats' && sub !== undefined)
        throw new UsageError(`unknown queues command "${sub}": stats`);
      const queues = cli.queues();
      const states = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
      const rows: string[][] = [];
      for (const name of QUEUE_NAMES) {
        const counts = await queues.queue(name).getJobCounts(...states);
        rows.push([name, ...states.map((s) => String(counts[s] ?? 0))]);
      }
      for (const line of table(['QUEUE', ...states.map((s) => s.toUpperCase())], rows))
        cli.out(line);
      return 0;
    }
    case 'doctor': {
      const checks = await doctor(cli, await configFile(values.config, cli.env));
      const failed = checks.filter((c) => c.problem);
      cli.out(failed.length ? `${failed.length} problem(s) found` : 'no problems found');
      return failed.length ? 1 : 0;
    }
    default:
      throw new UsageError(name ? `unknown command "${name}"\n\n${USAGE}` : USAGE);
  }
}

/** Runs the command line; resolves to the exit code. */
export async function runCli(
  argv: string[],
  io: { out: (line: string) => void; err: (line: string) => void } = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  },
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`postroom: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(USAGE);
    return 0;
  }
  let cli: CliContext | undefined;
  try {
    const env = parseEnv();
    // Warnings and worse, as JSON on stderr: stdout holds the command's result.
    const logger = createLogger(env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL, process.stderr);
    cli = createCliContext(env, logger, (line = '') => io.out(line));
    return await run(cli, parsed.positionals, parsed.values);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`postroom: ${error.message}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.err(`postroom: ${error.message}`);
      return 78;
    }
    if (error instanceof ApprovalError) {
      io.err(`postroom: ${error.message}`);
      return 1;
    }
    io.err(`postroom: ${(error as Error).stack ?? String(error)}`);
    return 1;
  } finally {
    await cli?.close();
  }
}
