// One look at a mailbox's SMTP server, for `postroom doctor`: connect, greet,
// log in when credentials are set, and quit without sending anything.
import nodemailer from 'nodemailer';
import { nodemailerAuth } from './smtp-pools.ts';
import type { OutboundRoute } from './types.ts';

type SmtpRoute = Extract<OutboundRoute, { kind: 'smtp' }>;

export type SmtpProbe = { ok: true } | { ok: false; problem: string };

export async function probeSmtp(
  route: Pick<SmtpRoute, 'host' | 'port' | 'secure' | 'auth'>,
): Promise<SmtpProbe> {
  const transport = nodemailer.createTransport({
    host: route.host,
    port: route.port,
    secure: route.secure,
    ...(route.auth ? { auth: nodemailerAuth(route.auth) } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
    logger: false,
  });
  try {
    await transport.verify();
    return { ok: true };
  } catch (error) {
    const err = error as Error & { code?: string; response?: string; responseCode?: number };
    const words = [err.message, err.code ? `(${err.code})` : ''].filter(Boolean).join(' ');
    if (err.code === 'EAUTH')
      return {
        ok: false,
        problem: `the server refused the login of ${route.auth?.user ?? '(no user)'}: check the user name and password (${words})`,
      };
    return {
      ok: false,
      problem: `could not talk to ${route.host}:${route.port}${route.secure ? ' over TLS' : ''}: ${words}`,
    };
  } finally {
    transport.close();
  }
}
