import { type ChildProcess, spawn } from 'node:child_process';

/**
 * The watchdog program (run with `node -e`, grace period in ms as its argument). It reads lines on
 * stdin: a pid to watch (`0` = none), or `exit`. When stdin reaches end-of-file or fails, the server
 * that owns the pipe has died (the kernel closed its end, whatever killed it, SIGKILL included): the
 * watched process group gets SIGTERM, then SIGKILL after the grace period, and the watchdog exits.
 */
const WATCHDOG_PROGRAM = `
const grace = Number(process.argv[1]) || 5000;
let pid = 0;
let pending = '';
function alive(p) {
  try { process.kill(p, 0); } catch (e) { if (e.code !== 'EPERM') return false; }
  if (process.platform !== 'linux') return true;
  try {
    const stat = require('fs').readFileSync('/proc/' + p + '/stat', 'utf8');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state !== 'Z' && state !== 'X';
  } catch (e) { return false; }
}
function signal(sig) {
  try { process.kill(-pid, sig); } catch (e) { try { process.kill(pid, sig); } catch (e2) {} }
}
function ownerGone() {
  if (!pid || !alive(pid)) process.exit(0);
  signal('SIGTERM');
  const deadline = Date.now() + grace;
  setInterval(function () {
    if (!alive(pid)) process.exit(0);
    if (Date.now() >= deadline) { signal('SIGKILL'); process.exit(0); }
  }, 50);
}
process.stdin.setEncoding('utf8');
process.stdin.on('data', function (chunk) {
  pending += chunk;
  let i;
  while ((i = pending.indexOf('\\n')) >= 0) {
    const line = pending.slice(0, i).trim();
    pending = pending.slice(i + 1);
    if (line === 'exit') process.exit(0);
    pid = Number(line) || 0;
  }
});
process.stdin.on('end', ownerGone);
process.stdin.on('error', ownerGone);
`;

/**
 * Kills a managed engine when the server dies without stopping it (SIGKILL, OOM killer, crash).
 *
 * A tiny Node process, started in its own session (so terminal signals and group kills aimed at the
 * server do not reach it), holds the read end of a pipe whose write end only the server has. The
 * kernel closes that end when the server dies for any reason; the watchdog then terminates the
 * watched engine's process group (SIGTERM, SIGKILL after the grace period) and exits. Neither the
 * watchdog nor its pipe keeps the server's event loop alive.
 *
 * One watchdog serves one engine; it is started on the first {@link watch} and ends on {@link close}.
 */
export class EngineWatchdog {
  private child: ChildProcess | undefined;
  private pid = 0;
  private closed = false;

  /** @param graceMs how long the engine gets between SIGTERM and SIGKILL */
  constructor(private readonly graceMs: number) {}

  /** Watches `pid` (an engine process group leader); `0` stops watching. */
  watch(pid: number): void {
    this.closed = false;
    this.pid = pid;
    if (pid === 0 && !this.child) return;
    this.send(String(pid));
  }

  /** Stops watching (the engine exited or was stopped) but keeps the watchdog for a restart. */
  release(): void {
    this.watch(0);
  }

  /** Ends the watchdog. */
  close(): void {
    this.closed = true;
    this.pid = 0;
    const child = this.child;
    this.child = undefined;
    if (child?.stdin?.writable) child.stdin.end('exit\n');
  }

  /** Process id of the watchdog, when one runs (for tests and diagnostics). */
  get watchdogPid(): number | undefined {
    return this.child?.pid;
  }

  private send(line: string): void {
    const child = this.child ?? this.spawn();
    if (child.stdin?.writable) child.stdin.write(`${line}\n`);
  }

  private spawn(): ChildProcess {
    const child = spawn(process.execPath, ['-e', WATCHDOG_PROGRAM, String(this.graceMs)], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
      windowsHide: true,
    });
    this.child = child;
    child.stdin?.on('error', () => undefined);
    child.on('error', () => undefined);
    child.once('exit', () => {
      if (this.child !== child) return;
      this.child = undefined;
      // Killed by someone else while watching: start a new one so the guarantee holds.
      if (!this.closed && this.pid !== 0) this.send(String(this.pid));
    });
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return child;
  }
}
