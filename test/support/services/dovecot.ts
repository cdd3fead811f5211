// A private Dovecot IMAP server for tests: own config and mail storage in a temp
// directory, master in the foreground (`dovecot -F`) as our child so stop() and
// restart() control it, any user name accepted with one password (see
// dovecot-config.ts). Installed from Debian's packages when missing.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imapUserNames, type TestImapServer } from '../imap.ts';
import { freePort, waitUntil } from '../wait.ts';
import { ensureInstalledWithoutStarting } from './apt.ts';
import { renderDovecotConfig, renderDovecotOAuth2Settings } from './dovecot-config.ts';
import { imapLoginWorks } from './imap-probe.ts';
import { descendantsOf, stopProcessTree } from './process-tree.ts';

export interface DovecotServer extends TestImapServer {
  host: '127.0.0.1';
  /** The log of this instance, for reading when a test goes wrong. */
  logPath: string;
  /** Stops the server and deletes its mail; safe to call twice. */
  stop(): Promise<void>;
  /** Stops (cutting off connected clients), then starts again on the same port with the same mail. */
  restart(): Promise<void>;
}

// Dovecot refuses to store mail as root or as its own users; nobody is fine.
const MAIL_UID = 65534;
const MAIL_GID = 65534;
const PASSWORD = 'secret';
const STARTUP_TIMEOUT_MS = 20_000;

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-40).join('\n');
  } catch {
    return '(no log written)';
  }
}

export async function startDovecot(
  options: { port?: number; oauth2IntrospectionUrl?: string } = {},
): Promise<DovecotServer> {
  if (process.getuid?.() !== 0) {
    throw new Error('the test Dovecot must run as root (it switches to uid 65534 for mail)');
  }
  const binary = ensureInstalledWithoutStarting('dovecot', 'dovecot-imapd');
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'postroom-dovecot-'));
  // 711: the login (dovenull) and mail (nobody) processes must pass through.
  chmodSync(dir, 0o711);
  const home = join(dir, 'home');
  mkdirSync(home);
  chownSync(home, MAIL_UID, MAIL_GID);
  const configPath = join(dir, 'dovecot.conf');
  let oauth2: { settingsPath: string } | undefined;
  if (options.oauth2IntrospectionUrl) {
    oauth2 = { settingsPath: join(dir, 'dovecot-oauth2.conf.ext') };
    writeFileSync(oauth2.settingsPath, renderDovecotOAuth2Settings(options.oauth2IntrospectionUrl));
  }
  writeFileSync(
    configPath,
    renderDovecotConfig({
      dir,
      port,
      password: PASSWORD,
      mailUid: MAIL_UID,
      mailGid: MAIL_GID,
      oauth2,
    }),
  );
  const logPath = join(dir, 'dovecot.log');

  let child: ChildProcess | undefined;
  let stopped = false;
  // A test process that exits without stop() must not leave Dovecot running.
  const killOnExit = (): void => {
    if (child?.pid === undefined || child.exitCode !== null) return;
    for (const pid of [child.pid, ...descendantsOf(child.pid)]) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  };
  process.on('exit', killOnExit);

  async function launch(): Promise<void> {
    let output = '';
    const proc = spawn(binary, ['-F', '-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let spawnError: Error | undefined;
    proc.on('error', (error) => (spawnError = error));
    try {
      // Returns early when the process died, so a bad config fails at once.
      await waitUntil(
        async () =>
          spawnError !== undefined ||
          proc.exitCode !== null ||
          proc.signalCode !== null ||
          (await imapLoginWorks('127.0.0.1', port, 'probe', PASSWORD)),
        { timeoutMs: STARTUP_TIMEOUT_MS, what: `Dovecot to accept an IMAP login on port ${port}` },
      );
    } catch (error) {
      await stopProcessTree(proc);
      throw new Error(
        `${(error as Error).message}\n${output.trim()}\n--- ${logPath} ---\n${readLog(logPath)}`,
        { cause: error },
      );
    }
    if (spawnError || proc.exitCode !== null || proc.signalCode !== null) {
      const how = spawnError?.message ?? `exited with ${proc.exitCode ?? proc.signalCode}`;
      throw new Error(
        `Dovecot ${how} while starting\n${output.trim()}\n--- ${logPath} ---\n${readLog(logPath)}`,
      );
    }
  }

  async function stop(): Promise<void> {
    if (stopped) return;
    stopped = true;
    if (child) await stopProcessTree(child);
    process.off('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  }

  try {
    await launch();
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    host: '127.0.0.1',
    port,
    password: PASSWORD,
    logPath,
    stop,
    async restart() {
      if (stopped) throw new Error('restart() after stop(): start a new Dovecot instead');
      if (child) await stopProcessTree(child);
      await launch();
    },
    ...imapUserNames,
  };
}
