// The engine servers the recorder spawns itself (--spawn-*): started with their output in a log file
// and stopped; every one is tracked so that none outlives the recorder.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stopChild } from '../lib/child-processes.mjs';
import { log } from './log.mjs';

/** Spawns engines into `logDir`/<label>.log, tracked by `children` (a lib/child-processes ChildProcesses). */
export class EngineServers {
  constructor({ logDir, children }) {
    this.logDir = logDir;
    this.children = children;
  }

  /** Starts `bin argv` with `env` added to this process's environment. */
  start(label, bin, argv, env = {}) {
    const logFile = path.join(this.logDir, `${label}.log`);
    const fd = fs.openSync(logFile, 'w');
    log(`starting ${label}: ${bin} ${argv.join(' ')} (log: ${logFile})`);
    const child = spawn(bin, argv, { stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
    fs.closeSync(fd);
    return this.children.track(child);
  }

  /** SIGTERM, then SIGKILL after 8 s; resolves once it has exited. */
  stop(child) {
    return stopChild(child, { graceMs: 8000 });
  }

  /** Stops every server still running. */
  async stopAll() {
    for (const child of this.children.running()) await this.stop(child);
  }
}
