import { readFileSync } from 'node:fs';

/**
 * True when process `pid` exists and is not a zombie. `kill(pid, 0)` alone says yes for a zombie
 * (exited, not yet reaped): an engine orphaned by a killed parent stays one for ever where PID 1
 * does not reap (some containers), so on Linux the state in `/proc/<pid>/stat` is checked too.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ...": comm may contain spaces and parentheses, the state follows the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The argv of process `pid` where the platform exposes it (Linux `/proc/<pid>/cmdline`), else undefined. */
export function processCommandLine(pid: number): string[] | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((arg, i, all) => arg !== '' || i < all.length - 1);
  } catch {
    return undefined;
  }
}

/**
 * Sends `signal` to the process group led by `pid` (an engine is spawned as a group leader, so any
 * helper processes it forked get the signal too), falling back to the process alone when it leads no
 * group (an adopted process, Windows). Returns false when nothing was there to signal.
 */
export function signalProcessTree(pid: number, signal: NodeJS.Signals): boolean {
  if (process.platform !== 'win32') {
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      // not a group leader, or gone: try the process alone
    }
  }
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
