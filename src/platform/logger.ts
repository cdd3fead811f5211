// One pino root logger for the process, created at start and passed down;
// modules take child loggers carrying their ids (role, mailbox, job, run...).
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

// Secrets that may pass through log calls: credentials in configs, provider
// keys (plain, or sealed as agents store them), API tokens and the
// Authorization header of HTTP requests.
const REDACTED_PATHS = [
  'password',
  'pass',
  'api_key',
  'apiKey',
  'key',
  'token',
  'secret',
  'authorization',
  '*.password',
  '*.pass',
  '*.api_key',
  '*.apiKey',
  '*.key',
  '*.token',
  '*.secret',
  '*.authorization',
  '*.*.pass',
  '*.*.password',
  '*.*.api_key',
  '*.*.*.api_key',
  'api_key_sealed',
  '*.api_key_sealed',
  '*.*.api_key_sealed',
  'auth.pass',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
];

export function createLogger(level: LevelWithSilent, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'postroom' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** Credentials inside a connection string must never reach a log line. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
