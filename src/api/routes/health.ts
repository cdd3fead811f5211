// Liveness (/healthz: the process serves HTTP) and readiness (/readyz: its
// dependencies answer), unauthenticated, for load balancers and orchestrators.
// /readyz is 503 when MongoDB or Redis does not answer; a mailbox that cannot
// log in or connect keeps it 200 but `degraded`, naming the mailbox: the
// process itself still works, so it must not be taken out of rotation.
import type { FastifyInstance } from 'fastify';

export type ReadinessChecks = Record<string, () => Promise<boolean>>;

/** A mailbox its watcher reports as failing, named by ids only. */
export interface FailingMailbox {
  mailbox: string;
  status: string;
}

// A dependency that does not answer within this time counts as down.
const CHECK_TIMEOUT_MS = 2_000;

async function check<T>(probe: () => Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      probe(),
      new Promise<T>((resolve) => {
        timer = setTimeout(() => resolve(fallback), CHECK_TIMEOUT_MS);
      }),
    ]);
  } catch {
    return fallback;
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealthRoutes(
  app: FastifyInstance,
  checks: ReadinessChecks,
  failingMailboxes?: () => Promise<FailingMailbox[]>,
): void {
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    const names = Object.keys(checks);
    const [results, mailboxes] = await Promise.all([
      Promise.all(names.map((name) => check(checks[name] ?? (async () => false), false))),
      failingMailboxes ? check(failingMailboxes, []) : Promise.resolve([]),
    ]);
    const status = Object.fromEntries(
      names.map((name, i) => [name, results[i] ? 'ok' : 'unavailable']),
    );
    const ready = results.every(Boolean);
    return reply.status(ready ? 200 : 503).send({
      status: !ready ? 'not_ready' : mailboxes.length > 0 ? 'degraded' : 'ready',
      checks: status,
      ...(failingMailboxes ? { mailboxes } : {}),
    });
  });
}
