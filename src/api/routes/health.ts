// Liveness (/healthz: the process serves HTTP) and readiness (/readyz: its
// dependencies answer), unauthenticated, for load balancers and orchestrators.
import type { FastifyInstance } from 'fastify';

export type ReadinessChecks = Record<string, () => Promise<boolean>>;

// A dependency that does not answer within this time counts as down.
const CHECK_TIMEOUT_MS = 2_000;

async function check(probe: () => Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      probe(),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealthRoutes(app: FastifyInstance, checks: ReadinessChecks): void {
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/readyz', { logLevel: 'warn' }, async (_request, reply) => {
    const names = Object.keys(checks);
    const results = await Promise.all(
      names.map((name) => check(checks[name] ?? (async () => false))),
    );
    const status = Object.fromEntries(
      names.map((name, i) => [name, results[i] ? 'ok' : 'unavailable']),
    );
    const ready = results.every(Boolean);
    return reply
      .status(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not_ready', checks: status });
  });
}
