import type { Logger } from 'pino';
import { isProcessAlive, processCommandLine } from '../../io/process-liveness.js';
import { probeHost } from './engine-address.js';
import { createRun, type Run } from './engine-run.js';
import type { PidFile } from './pid-file.js';
import { isPortOpen } from './port-probe.js';

/** What is already on an engine's port: our engine to adopt, a stranger, or nothing. */
export type PortOccupant =
  | { kind: 'none' }
  /** `apiKey`: the key recorded with the pid, when there is a trustworthy one. */
  | { kind: 'adopt'; pid: number; apiKey?: string }
  | { kind: 'busy'; message: string };

/** What {@link inspectPort} looks at. */
export interface PortInspection {
  url: string;
  port: number;
  pidFile: PidFile;
  /** The configured argv, compared with the recorded process's command line. */
  command: readonly string[];
  /** Setting that lists external hosts of this engine, suggested when a stranger holds the port. */
  externalHostsKey?: string;
  log: Logger;
}

/**
 * Decides whether a start adopts a running engine: a PID file whose process is alive and whose port
 * answers (and, where command lines can be read, whose command line is ours) is adopted; a port taken
 * by anything else is refused. A stale PID file (process gone, or its pid reused) is removed.
 */
export async function inspectPort(target: PortInspection): Promise<PortOccupant> {
  const { pidFile, log, port } = target;
  const open = await isPortOpen(probeHost(target.url), port);
  const record = pidFile.readRecord();
  const pid = record?.pid;
  if (pid !== undefined) {
    if (!isProcessAlive(pid)) {
      log.info({ stalePid: pid, pidFile: pidFile.path }, 'removing stale PID file (process gone)');
      pidFile.remove(pid);
    } else {
      const commandLine = processCommandLine(pid);
      const ours = commandLine === undefined || sameArgv(commandLine, target.command);
      if (ours && (open || commandLine !== undefined)) {
        return { kind: 'adopt', pid, ...(record?.apiKey ? { apiKey: record.apiKey } : {}) };
      }
      if (!ours && open) {
        return {
          kind: 'busy',
          message:
            `port ${port} is in use by pid ${pid} (${commandLine?.join(' ')}), recorded in ${pidFile.path} ` +
            `but running a different command than the configured engine; stop it or choose another port`,
        };
      }
      // Alive but not ours (pid reused) or, where command lines are unknown, not listening.
      log.info({ stalePid: pid, pidFile: pidFile.path }, 'removing stale PID file (pid belongs to another process)');
      pidFile.remove(pid);
    }
  }
  if (open) {
    const use = target.externalHostsKey
      ? `set ${target.externalHostsKey} to use it as an external host`
      : 'use it as an external host';
    return {
      kind: 'busy',
      message: `port ${port} is already in use by another process; ${use} or choose another port`,
    };
  }
  return { kind: 'none' };
}

/**
 * A run of the already running process `pid`. It is not our child, so there is no exit event: its
 * life is polled every `pollMs` and the run marked exited once it is gone.
 */
export function adoptRun(pid: number, pollMs: number): Run {
  const run = createRun(pid, true);
  run.poll = setInterval(() => {
    if (!isProcessAlive(pid)) run.markExited({ code: null, signal: null });
  }, pollMs);
  run.poll.unref();
  return run;
}

function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((arg, i) => arg === b[i]);
}
