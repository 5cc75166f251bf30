import type { Logger } from 'pino';
import type { RunningServer } from '../app/bootstrap.js';

/** Longest a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 15_000;

/**
 * Stops the server and its managed engines on SIGINT/SIGTERM, then exits. Robust to a logger whose
 * stdout is gone (a parent that died leaves a broken pipe) and bounded by a deadline, so a signal
 * always ends the process.
 */
export function exitOnSignals(server: RunningServer, logger: Logger): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    try {
      logger.info({ signal }, 'shutting down');
    } catch {
      // stdout may be a broken pipe; shutting down matters more than saying so
    }
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  // A closed stdout must not crash or hang the server.
  process.stdout.on('error', () => {});
}
