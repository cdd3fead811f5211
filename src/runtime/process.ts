// Run a Postroom process: the roles selected by POSTROOM_ROLES (all by
// default) or fixed by the entry point. SIGTERM/SIGINT stop taking new work,
// let in-flight work finish (bounded), close connections and exit 0 within 10 s.
import { ConfigError } from '../config/config-error.ts';
import { parseEnv, type Env, type Role } from '../config/env.ts';
import { createLogger } from '../platform/logger.ts';
import { startPostroom } from './start.ts';

// Past this, a stuck close is abandoned: orchestrators SIGKILL at 10 s anyway.
const HARD_EXIT_MS = 9_500;

export async function runProcess(roles?: readonly Role[]): Promise<void> {
  let env: Env;
  try {
    const parsed = parseEnv();
    env = roles ? Object.freeze({ ...parsed, POSTROOM_ROLES: [...roles] }) : parsed;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`postroom: ${error.message}`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(env.LOG_LEVEL);

  let running;
  try {
    running = await startPostroom(env, logger);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`postroom: ${error.message}`);
      flushQuietly(logger);
      process.exit(78);
    }
    logger.fatal({ err: error }, 'postroom failed to start');
    flushQuietly(logger);
    process.exit(1);
  }

  let shuttingDown = false;
  // Node's default would end the process with a bare stack trace. While shutting
  // down, a connection closed under a pending call may still reject: that must
  // not turn a clean stop into exit code 1.
  process.on('unhandledRejection', (reason) => {
    if (shuttingDown) {
      logger.warn({ err: reason }, 'a promise rejected while shutting down; ignored');
      return;
    }
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    flushQuietly(logger);
    process.exit(1);
  });

  const stop = (signal: NodeJS.Signals): void => {
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    const hard = setTimeout(() => {
      logger.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, HARD_EXIT_MS);
    hard.unref();
    running
      .stop()
      .then(() => {
        logger.info('stopped');
        flushQuietly(logger);
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // SIGHUP: reload POSTROOM_CONFIG; a bad file is refused and the running config stays.
  process.on('SIGHUP', () => {
    if (shuttingDown) return;
    logger.info('SIGHUP: reloading the configuration');
    running.reload().catch((error: unknown) => {
      logger.error({ err: error }, 'SIGHUP: the configuration was not reloaded');
    });
  });
}

/** Flush the log on the way out; a destination that cannot flush must not change the exit code. */
function flushQuietly(logger: ReturnType<typeof createLogger>): void {
  try {
    logger.flush();
  } catch {
    // Nothing left to report it to.
  }
}
