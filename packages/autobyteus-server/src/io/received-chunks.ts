import type { Readable } from 'node:stream';

/**
 * The chunks of `body` as they arrive, like `for await (const chunk of body)`, except that a body that
 * fails (a connection cut mid-body, a stall or an abort destroying the request) first hands over the
 * bytes it had already received, then throws its error.
 *
 * Why: node's own iterator stops at a destroyed stream and drops what the stream still buffered. An
 * HTTP response is destroyed ('aborted') as soon as its socket closes, so a reader that was busy (the
 * disk, a loaded machine) when the peer closed loses up to a few tens of KiB that did arrive, and a
 * resume asks for them again instead of starting at the cut. `read()` still returns that buffer.
 */
export async function* receivedChunks(body: Readable): AsyncGenerator<Buffer, void, undefined> {
  try {
    for await (const chunk of body) yield chunk as Buffer;
  } catch (error) {
    for (let rest = body.read() as Buffer | null; rest !== null; rest = body.read() as Buffer | null) yield rest;
    throw error;
  }
}
