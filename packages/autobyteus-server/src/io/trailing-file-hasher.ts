import { Worker } from 'node:worker_threads';

/** Progress below this is not sent to the worker until more is written (or the file is finished). */
const ADVANCE_STEP_BYTES = 8 * 1024 * 1024;

// The worker reads back what the download wrote (from the page cache, where it still is) instead of being
// sent the chunks: the download thread does no hashing and no copying, memory stays one 1 MiB buffer, and
// parts written out of order are hashed in file order. Plain CommonJS run with `eval`, so the same code
// works from dist/ and from the TypeScript sources under test.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const fd = openSync(workerData.path, 'r');
const hash = createHash('sha256');
const buffer = Buffer.allocUnsafe(1 << 20);
let hashed = 0;
parentPort.on('message', (message) => {
  try {
    while (hashed < message.upTo) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, message.upTo - hashed), hashed);
      if (n <= 0) throw new Error('the file ended at byte ' + hashed + ', expected ' + message.upTo);
      hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      hashed += n;
    }
    if (message.finish) {
      closeSync(fd);
      parentPort.postMessage({ digest: hash.digest('hex') });
    }
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message ? error.message : error) });
  }
});
`;

/**
 * The sha256 of a file that is still being written, computed on a worker thread that follows the writer:
 * {@link advance} says "bytes [0, n) are final", {@link finish} waits for the digest of [0, size).
 * Hashing runs on another core while the download thread only moves bytes (the hash cost about as much
 * CPU as the transfer itself).
 */
export class TrailingFileHasher {
  private readonly worker: Worker;
  private readonly result: Promise<string>;
  private requested = 0;

  constructor(path: string) {
    // The worker allocates one buffer; small heap limits keep its share of RSS to its thread and isolate.
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path },
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 },
      stdout: false,
      stderr: false,
    });
    // Never kept alive by the worker: a download that is abandoned must not hold the process open.
    this.worker.unref();
    this.result = new Promise<string>((resolve, reject) => {
      this.worker.on('message', (message: { digest?: string; error?: string }) => {
        if (message.digest) resolve(message.digest);
        else reject(new Error(`hashing ${path} failed: ${message.error}`));
      });
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`the hash worker for ${path} exited (${code})`)));
    });
    // A rejection nobody awaits (a download that failed before finish) is not an unhandled rejection.
    this.result.catch(() => undefined);
  }

  /** Bytes [0, upTo) of the file are written and will not change. */
  advance(upTo: number): void {
    // A message per 8 MiB: each costs the download thread a structured clone and a wake-up of the worker.
    if (upTo < this.requested + ADVANCE_STEP_BYTES) return;
    this.requested = upTo;
    this.worker.postMessage({ upTo });
  }

  /** The sha256 (hex) of bytes [0, size); the worker then ends. */
  async finish(size: number): Promise<string> {
    this.requested = Math.max(this.requested, size);
    this.worker.postMessage({ upTo: size, finish: true });
    try {
      return await this.result;
    } finally {
      await this.dispose();
    }
  }

  /** Stops the worker (its digest is not wanted: the file restarted or the download failed). */
  async dispose(): Promise<void> {
    await this.worker.terminate();
  }
}
