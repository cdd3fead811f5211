// `postroom doctor`: for each mailbox of the config, log in to IMAP and open
// its folder, log in to SMTP, and ask each of its agents' model endpoints for
// its models; then Redis and MongoDB. Each check prints ok or, in words, what
// is wrong and what to look at. Nothing is changed anywhere.
import type { Bootstrap } from '../config/bootstrap-schema.ts';
import { normalizeBaseUrl } from '../config/model-urls.ts';
import { operatorModelKey } from '../config/operator-keys.ts';
import { probeImap } from '../mail/imap/probe.ts';
import { probeSmtp } from '../mail/smtp/probe.ts';
import { closeRedis, createRedis, redisAnswers } from '../queues/redis.ts';
import { connectStore } from '../store/index.ts';
import type { CliContext } from './context.ts';

interface Check {
  what: string;
  problem: string | null;
  detail?: string;
}

const MODEL_TIMEOUT_MS = 15_000;

async function probeModel(
  baseURL: string,
  apiKey: string,
  model: string,
): Promise<{ problem: string | null; detail?: string }> {
  const url = `${normalizeBaseUrl(baseURL)}/models`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${apiKey}` },
      signal: AbortSignal.timeout(MODEL_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    return { problem: `could not reach the model endpoint ${url}: ${cause}` };
  }
  if (response.status === 401 || response.status === 403)
    return { problem: `the model endpoint ${url} refused the API key (HTTP ${response.status})` };
  if (!response.ok)
    return { problem: `the model endpoint ${url} answered HTTP ${response.status}` };
  const body = (await response.json().catch(() => null)) as {
    data?: Array<{ id?: string }>;
  } | null;
  const ids = body?.data?.map((m) => m.id) ?? [];
  if (ids.length > 0 && !ids.includes(model))
    return {
      problem: `the model endpoint ${url} answers, but does not list the model "${model}" (it lists ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''})`,
    };
  return { problem: null, detail: `model ${model} at ${normalizeBaseUrl(baseURL)}` };
}

export async function doctor(cli: CliContext, bootstrap: Bootstrap): Promise<Check[]> {
  const checks: Check[] = [];
  const report = (check: Check) => {
    checks.push(check);
    cli.out(
      check.problem
        ? `FAIL  ${check.what}: ${check.problem}`
        : `ok    ${check.what}${check.detail ? ` (${check.detail})` : ''}`,
    );
  };
  for (const account of bootstrap.accounts) {
    if (account.mailboxes.length === 0) cli.out(`--    account ${account.id} has no mailboxes`);
    for (const mailbox of account.mailboxes) {
      const label = `${account.id}/${mailbox.id}`;
      if (mailbox.imap?.auth.oauth2) {
        cli.out(
          `--    ${label} IMAP logs in with OAuth2: the watcher checks it (GET /v1/admin/mailboxes)`,
        );
      } else if (mailbox.imap?.auth.pass !== undefined) {
        const imap = await probeImap(
          { ...mailbox.imap, auth: { user: mailbox.imap.auth.user, pass: mailbox.imap.auth.pass } },
          cli.logger,
        );
        report({
          what: `${label} IMAP ${mailbox.imap.host}:${mailbox.imap.port} ${mailbox.imap.folder}`,
          problem: imap.ok ? null : imap.problem,
          ...(imap.ok ? { detail: `logged in, ${imap.messages} messages in the folder` } : {}),
        });
      } else {
        cli.out(`--    ${label} takes mail from the drop folder ${mailbox.drop_folder}`);
      }
      if (mailbox.smtp) {
        const smtp = await probeSmtp({
          host: mailbox.smtp.host,
          port: mailbox.smtp.port,
          secure: mailbox.smtp.secure,
          auth:
            mailbox.smtp.auth?.pass !== undefined
              ? { user: mailbox.smtp.auth.user, pass: mailbox.smtp.auth.pass }
              : null,
        });
        report({
          what: `${label} SMTP ${mailbox.smtp.host}:${mailbox.smtp.port}`,
          problem: smtp.ok ? null : smtp.problem,
          ...(smtp.ok ? { detail: mailbox.smtp.auth ? 'logged in' : 'greeted, no login set' } : {}),
        });
      } else {
        cli.out(`--    ${label} writes replies to the outbox folder ${mailbox.outbox_folder}`);
      }
      for (const agentId of mailbox.agents) {
        const agent = account.agents.find((a) => a.id === agentId);
        if (!agent) continue; // the config's own validation names it
        const what = `${label} agent ${agent.id} model`;
        if (agent.provider.type !== 'openai') {
          cli.out(`--    ${what}: a template agent, no model endpoint`);
          continue;
        }
        const key = operatorModelKey(agent.provider, cli.env);
        if (!key.ok) {
          report({ what, problem: key.problem });
          continue;
        }
        report({ what, ...(await probeModel(key.baseURL, key.apiKey, agent.provider.model)) });
      }
    }
  }

  const redis = createRedis(cli.env.REDIS_URL, 'command', cli.logger);
  try {
    let answered = false;
    const deadline = Date.now() + 5_000;
    while (!answered && Date.now() < deadline) {
      answered = await redisAnswers(redis);
      if (!answered) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    report({
      what: 'Redis (REDIS_URL)',
      problem: answered
        ? null
        : 'does not answer PING within 5 s: is it running, and is REDIS_URL right?',
    });
  } finally {
    await closeRedis(redis);
  }
  if (cli.env.MONGODB_URI) {
    try {
      const store = await connectStore(cli.env.MONGODB_URI, cli.logger);
      await store.close();
      report({ what: 'MongoDB (MONGODB_URI)', problem: null });
    } catch (error) {
      report({
        what: 'MongoDB (MONGODB_URI)',
        problem: `cannot connect: ${(error as Error).message}`,
      });
    }
  } else {
    cli.out(
      '--    MongoDB: MONGODB_URI is not set, processes use the embedded store in POSTROOM_DATA_DIR',
    );
  }
  return checks;
}
