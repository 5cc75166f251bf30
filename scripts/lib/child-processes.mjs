// The child processes a script started, so that no exit path (error, Ctrl-C) leaves an engine running.

/** A set of running children: tracked on start, dropped on exit, all killed at once on demand. */
export class ChildProcesses {
  #children = new Set();

  /** Tracks `child` until it exits; returns it. */
  track(child) {
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  /** The children still running. */
  running() {
    return [...this.#children];
  }

  /** SIGKILLs every tracked child (synchronous, so it is safe in an `exit` handler). */
  killAll() {
    for (const child of this.#children) {
      try {
        child.kill('SIGKILL');
      } catch {}
    }
  }

  /** Kills every child when this process exits, and on SIGINT/SIGTERM (then exits with 130). */
  killOnExit() {
    process.on('exit', () => this.killAll());
    for (const signal of ['SIGINT', 'SIGTERM']) {
      process.on(signal, () => {
        this.killAll();
        process.exit(130);
      });
    }
    return this;
  }
}

/**
 * Stops `child`: `ask` it to go (SIGTERM by default), SIGKILL it after `graceMs`, and resolve once it
 * has exited. The kill timer is cleared, so it never holds the event loop open after the exit.
 */
export async function stopChild(child, { graceMs, ask = (c) => c.kill('SIGTERM') }) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  ask(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
