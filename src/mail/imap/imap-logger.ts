// imapflow's own log lines, routed into the watcher's child logger so they
// carry the mailbox and connection ids too. imapflow logs every protocol line
// at debug, which is far below what an operator wants at info: its debug goes
// to trace, its info to debug, its errors to warn. Passwords are marked sensitive by imapflow
// and never reach these objects; the root logger's redaction covers the rest.
import type { Logger as ImapFlowLogger } from 'imapflow';
import type { Logger } from '../../platform/logger.ts';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

function forward(logger: Logger, level: Level): (entry: unknown) => void {
  return (entry) => {
    if (!logger.isLevelEnabled(level)) return;
    if (entry !== null && typeof entry === 'object') {
      logger[level]({ component: 'imapflow', ...(entry as Record<string, unknown>) });
    } else {
      logger[level]({ component: 'imapflow' }, String(entry));
    }
  };
}

export function imapflowLogger(logger: Logger): ImapFlowLogger {
  return {
    trace: forward(logger, 'trace'),
    debug: forward(logger, 'trace'),
    info: forward(logger, 'debug'),
    warn: forward(logger, 'warn'),
    // The watcher logs its own verdict on every failure; imapflow's is one connection's view.
    error: forward(logger, 'warn'),
    fatal: forward(logger, 'warn'),
  };
}
