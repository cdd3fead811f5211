// Connection handshake, monitoring and session housekeeping commands. The
// store presents itself as a standalone MongoDB 7.0 without compression.
import type { CommandContext, Handler } from './context.ts';
import type { Doc } from '../values.ts';

function hello(cmd: Doc, ctx: CommandContext): Doc {
  const reply: Doc = {
    ismaster: true,
    isWritablePrimary: true,
    maxBsonObjectSize: 16777216,
    maxMessageSizeBytes: 48000000,
    maxWriteBatchSize: 100000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: ctx.connectionId,
    minWireVersion: 0,
    maxWireVersion: 21,
    readOnly: false,
    ok: 1,
  };
  if (cmd.helloOk === true) reply.helloOk = true;
  return reply;
}

const ok: Handler = () => ({ ok: 1 });

export const handshakeCommands: Record<string, Handler> = {
  hello,
  isMaster: hello,
  ismaster: hello,
  ping: ok,
  endSessions: ok,
  killAllSessions: ok,
  killSessions: ok,
  refreshSessions: ok,
  buildInfo: () => ({
    version: '7.0.0',
    gitVersion: 'embedded',
    versionArray: [7, 0, 0, 0],
    bits: 64,
    debug: false,
    maxBsonObjectSize: 16777216,
    storageEngines: ['memory'],
    modules: [],
    ok: 1,
  }),
  getParameter: (cmd) => {
    const reply: Doc = { ok: 1 };
    if (cmd.featureCompatibilityVersion !== undefined || cmd.getParameter === '*') {
      reply.featureCompatibilityVersion = { version: '7.0' };
    }
    return reply;
  },
  whatsmyuri: (_cmd, ctx) => ({ you: ctx.clientAddress, ok: 1 }),
  getLog: (cmd) =>
    cmd.getLog === '*' ? { names: ['global'], ok: 1 } : { totalLinesWritten: 0, log: [], ok: 1 },
  connectionStatus: () => ({
    authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] },
    ok: 1,
  }),
  hostInfo: () => ({
    system: { currentTime: new Date(), hostname: '127.0.0.1' },
    os: {},
    extra: {},
    ok: 1,
  }),
  getCmdLineOpts: () => ({ argv: ['embedded-mongo'], parsed: {}, ok: 1 }),
  serverStatus: (_cmd, ctx) => ({
    host: '127.0.0.1',
    version: '7.0.0',
    process: 'embedded-mongo',
    uptime: Math.floor(process.uptime()),
    localTime: new Date(),
    connections: { current: ctx.connectionId },
    opcounters: {},
    ok: 1,
  }),
  getFreeMonitoringStatus: () => ({ state: 'disabled', ok: 1 }),
  logout: ok,
  getLastError: () => ({ n: 0, err: null, ok: 1 }),
  currentOp: () => ({ inprog: [], ok: 1 }),
};
