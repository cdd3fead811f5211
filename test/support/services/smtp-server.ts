// An SMTP server for tests, on the smtp-server package: records every accepted
// message and, on command, answers 4xx/5xx, drops the connection or delays the
// DATA reply for the next transactions, so delivery retry paths get exercised.
// With `saveToSent` it files what it accepts in a Dovecot user's Sent folder
// before answering, as Gmail and Microsoft 365 do.
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { appendMessage, type TestImapServer } from '../imap.ts';
import { waitUntil } from '../wait.ts';

type SmtpStage = 'mail' | 'rcpt' | 'data';

interface RecordedMessage {
  envelope: { from: string; to: string[] };
  /** The message as received after DATA (dot-stuffing removed). */
  raw: Buffer;
  receivedAt: Date;
  /** The AUTH user name, when the client authenticated. */
  user?: string;
  /** The SASL mechanism of that AUTH (PLAIN, LOGIN, XOAUTH2). */
  authMethod?: string;
}

interface SmtpFailure {
  code: number;
  /** Reply text; a generic one for the code when omitted. */
  message?: string;
  /** The command that fails; 'data' when omitted. */
  at?: SmtpStage;
  /** How many transactions fail (default 1). */
  count?: number;
  /** With at: 'rcpt', fail only this recipient; the others are accepted. */
  recipient?: string;
}

export interface SmtpTestServer {
  host: '127.0.0.1';
  port: number;
  /** Accepted messages, oldest first. */
  messages: RecordedMessage[];
  /** Transactions begun (MAIL FROM received), failed ones included. */
  readonly attempts: number;
  /**
   * When each transaction began (Date.now() at MAIL FROM), oldest first. The
   * server runs in the test process, on the clock the code under test reads.
   */
  readonly attemptTimes: readonly number[];
  waitForMessages(count: number, timeoutMs?: number): Promise<RecordedMessage[]>;
  failNext(failure: SmtpFailure): void;
  /**
   * The next `count` (default 1) RCPT TO of `address` answer `code`, in
   * whichever transactions they come; other recipients are not touched.
   */
  failRecipient(address: string, failure: Pick<SmtpFailure, 'code' | 'message' | 'count'>): void;
  /** Every transaction fails from now on, until reset(). */
  failAlways(code: number, options?: Omit<SmtpFailure, 'code' | 'count'>): void;
  /** The next `count` transactions lose their connection at `at` ('data': after the message, before the reply). */
  dropConnectionNext(count?: number, at?: SmtpStage): void;
  /** The next `count` transactions get their DATA reply `ms` late (the message is still accepted). */
  stallNext(ms: number, count?: number): void;
  /** Clears every queued or permanent fault (not the recorded messages). */
  reset(): void;
  stop(): Promise<void>;
}

export interface SmtpTestServerOptions {
  /**
   * Behave like Gmail: APPEND each accepted message to `folder` (default
   * "Sent") of `user` before it is recorded and before its (possibly stalled)
   * 250, so a client that dies waiting for the 250 left a copy in Sent.
   */
  saveToSent?: {
    imap: Pick<TestImapServer, 'host' | 'port' | 'password'>;
    user: string;
    folder?: string;
  };
  /**
   * Offer XOAUTH2 (besides PLAIN and LOGIN) and accept a bearer token only
   * when this answers true, as Gmail and Microsoft 365 check theirs.
   */
  xoauth2?: (user: string, accessToken: string) => boolean | Promise<boolean>;
}

interface Plan {
  failure?: SmtpFailure;
  dropAt?: SmtpStage;
  stallMs?: number;
}

const DEFAULT_TEXT: Record<number, string> = {
  421: 'Service not available, closing transmission channel',
  450: 'Mailbox unavailable, try again later',
  451: 'Local error in processing, try again later',
  452: 'Insufficient system storage',
  550: 'Mailbox unavailable',
  552: 'Message exceeds storage allocation',
  553: 'Mailbox name not allowed',
  554: 'Transaction failed',
};

function smtpError(failure: SmtpFailure): Error & { responseCode: number } {
  const text = failure.message ?? DEFAULT_TEXT[failure.code] ?? 'Test failure';
  return Object.assign(new Error(text), { responseCode: failure.code });
}

function readAll(stream: SMTPServerDataStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

export async function startSmtpTestServer(
  options: SmtpTestServerOptions = {},
): Promise<SmtpTestServer> {
  const { saveToSent } = options;
  const messages: RecordedMessage[] = [];
  let attempts = 0;
  const attemptTimes: number[] = [];
  const failures: SmtpFailure[] = [];
  let permanent: SmtpFailure | undefined;
  const drops: SmtpStage[] = [];
  const stalls: number[] = [];
  const plans = new Map<string, Plan>();
  const recipientFailures = new Map<string, SmtpFailure>();
  const timers = new Set<NodeJS.Timeout>();

  function beginTransaction(session: SMTPServerSession): Plan {
    attempts += 1;
    attemptTimes.push(Date.now());
    const plan: Plan = { dropAt: drops.shift(), stallMs: stalls.shift() };
    const next = failures[0];
    if (next) {
      plan.failure = next;
      next.count = (next.count ?? 1) - 1;
      if (next.count <= 0) failures.shift();
    } else if (permanent) {
      plan.failure = permanent;
    }
    plans.set(session.id, plan);
    return plan;
  }

  function failureAt(
    stage: SmtpStage,
    session: SMTPServerSession,
    recipient?: string,
  ): Error | undefined {
    const failure = plans.get(session.id)?.failure;
    if (!failure || (failure.at ?? 'data') !== stage) return undefined;
    if (stage === 'rcpt' && failure.recipient && failure.recipient !== recipient) return undefined;
    return smtpError(failure);
  }

  function drop(session: SMTPServerSession): void {
    for (const connection of server.connections) {
      if (connection.id === session.id) connection._socket.destroy();
    }
  }

  const authMethods = new Map<string, string>();
  const server = new SMTPServer({
    // The built-in certificate has expired, and tests do not need TLS.
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    // A reverse DNS lookup of 127.0.0.1 per connection only slows tests down.
    disableReverseLookup: true,
    logger: false,
    ...(options.xoauth2 ? { authMethods: ['PLAIN', 'LOGIN', 'XOAUTH2'] } : {}),
    onAuth(auth, session, callback) {
      const user = { user: auth.username ?? 'anonymous' };
      authMethods.set(session.id, auth.method);
      if (auth.method !== 'XOAUTH2') return callback(null, user);
      const check = options.xoauth2;
      void Promise.resolve(check?.(auth.username ?? '', auth.accessToken ?? '') ?? false).then(
        (ok) =>
          ok
            ? callback(null, user)
            : // smtp-server answers a refused XOAUTH2 with the JSON challenge, as Gmail does.
              callback(null, { data: { status: '401', schemes: 'bearer', scope: 'mail' } }),
      );
    },
    onMailFrom(_address, session, callback) {
      const plan = beginTransaction(session);
      if (plan.dropAt === 'mail') return drop(session);
      callback(failureAt('mail', session));
    },
    onRcptTo(address, session, callback) {
      if (plans.get(session.id)?.dropAt === 'rcpt') return drop(session);
      const targeted = recipientFailures.get(address.address);
      if (targeted) {
        targeted.count = (targeted.count ?? 1) - 1;
        if (targeted.count <= 0) recipientFailures.delete(address.address);
        return callback(smtpError(targeted));
      }
      callback(failureAt('rcpt', session, address.address));
    },
    onData(stream, session, callback) {
      const plan = plans.get(session.id) ?? {};
      readAll(stream)
        .then(async (raw) => {
          if (plan.dropAt === 'data') return drop(session);
          const failure = failureAt('data', session);
          if (failure) return callback(failure);
          if (saveToSent) {
            const { imap, user, folder = 'Sent' } = saveToSent;
            // A copy that cannot be filed fails the transaction: the test would lie otherwise.
            await appendMessage(imap, user, raw, folder, ['\\Seen']);
          }
          messages.push({
            envelope: {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            },
            raw,
            receivedAt: new Date(),
            ...(session.user ? { user: String(session.user) } : {}),
            ...(authMethods.has(session.id) ? { authMethod: authMethods.get(session.id) } : {}),
          });
          if (!plan.stallMs) return callback();
          const timer = setTimeout(() => {
            timers.delete(timer);
            callback();
          }, plan.stallMs);
          timers.add(timer);
        })
        .catch((error: Error) => callback(error));
    },
    onClose(session) {
      plans.delete(session.id);
    },
  });

  // A client that vanishes mid-transaction (a SIGKILLed worker) resets its
  // connection; smtp-server reports that as an 'error' event on the server,
  // which without a listener would crash the test process. A real server shrugs
  // it off too: the transaction is simply not completed.
  server.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (!address || typeof address === 'string') throw new Error('the SMTP test server has no port');

  let stopped = false;
  return {
    host: '127.0.0.1',
    port: address.port,
    messages,
    get attempts() {
      return attempts;
    },
    attemptTimes,
    async waitForMessages(count, timeoutMs = 10_000) {
      await waitUntil(() => messages.length >= count, {
        timeoutMs,
        what: `${count} message(s) at the SMTP test server`,
      }).catch((error: Error) => {
        throw new Error(`${error.message}; it has ${messages.length}`, { cause: error });
      });
      return messages.slice(0, count);
    },
    failNext(failure) {
      failures.push({ ...failure });
    },
    failRecipient(address, failure) {
      recipientFailures.set(address, { ...failure, at: 'rcpt' });
    },
    failAlways(code, options = {}) {
      permanent = { ...options, code };
    },
    dropConnectionNext(count = 1, at = 'data') {
      for (let i = 0; i < count; i += 1) drops.push(at);
    },
    stallNext(ms, count = 1) {
      for (let i = 0; i < count; i += 1) stalls.push(ms);
    },
    reset() {
      failures.length = 0;
      recipientFailures.clear();
      drops.length = 0;
      stalls.length = 0;
      permanent = undefined;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      // close() waits for clients to leave; a stalled or idle client must not hold the test up.
      for (const connection of server.connections) connection._socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
