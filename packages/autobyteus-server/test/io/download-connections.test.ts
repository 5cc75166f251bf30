import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../src/io/download.js';
import { type ConnectionProbe, nextProbe, type ProbeState, startProbe } from '../../src/io/download-connections.js';

const PROBE: ConnectionProbe = { windowMs: 500, minGain: 0.2, fastBytesPerSec: 200e6 };
const MB = 1e6;

/** Feeds one window per rate (bytes/s) and returns the connection count after each. */
function run(max: number, rates: number[], probe = PROBE): { counts: number[]; last: ProbeState } {
  let state = startProbe(max, 0, 0);
  let bytes = 0;
  let at = 0;
  const counts: number[] = [];
  for (const rate of rates) {
    at += probe.windowMs;
    bytes += (rate * probe.windowMs) / 1000;
    state = nextProbe(state, at, bytes, probe);
    counts.push(state.connections);
  }
  return { counts, last: state };
}

describe('nextProbe (when to add a connection)', () => {
  it('keeps one fast connection alone: no probe at all', () => {
    const { counts, last } = run(4, [480 * MB, 480 * MB]);
    expect(counts).toEqual([1, 1]);
    expect(last.settled).toBe(true);
  });

  it('behind a per-connection cap, doubles the connections while each step raises the rate, up to the maximum', () => {
    const { counts, last } = run(8, [100 * MB, 200 * MB, 400 * MB, 800 * MB, 800 * MB]);
    expect(counts).toEqual([2, 4, 8, 8, 8]);
    expect(last.settled).toBe(true);
  });

  it('takes back the first step that does not raise the rate by minGain, then stays', () => {
    // A link capped at 150 MB/s in all: going from 2 to 4 connections adds only 7 %.
    const { counts, last } = run(4, [100 * MB, 140 * MB, 150 * MB, 150 * MB, 10 * MB]);
    expect(counts).toEqual([2, 4, 2, 2, 2]);
    expect(last.settled).toBe(true);
  });

  it('takes back a second connection that makes things slower (CPU-bound, slow disk)', () => {
    const { counts } = run(4, [150 * MB, 90 * MB]);
    expect(counts).toEqual([2, 1]);
  });

  it('decides nothing before a whole window has passed', () => {
    const start = startProbe(4, 0, 0);
    expect(nextProbe(start, 499, 1000, PROBE)).toBe(start);
    expect(nextProbe(start, 500, 1000, PROBE).connections).toBe(2);
  });

  it('never goes above the maximum, and a maximum of one is settled from the start', () => {
    expect(run(2, [10 * MB, 20 * MB, 40 * MB]).counts).toEqual([2, 2, 2]);
    expect(run(3, [10 * MB, 20 * MB, 40 * MB]).counts).toEqual([2, 3, 3]);
    expect(startProbe(1, 0, 0).settled).toBe(true);
  });
});

// A server that caps every connection (as CDNs do): 16 KiB per 10 ms, about 1.6 MB/s each.
const PART = 128 * 1024;
const CONTENT = randomBytes(16 * PART);
const SHA = createHash('sha256').update(CONTENT).digest('hex');
let server: Server;
let url: string;
let open = 0;
let mostOpen = 0;
let dir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range?.[2] ? Number(range[2]) : CONTENT.length - 1;
    const headers = { 'content-length': String(end - start + 1), 'accept-ranges': 'bytes' };
    if (range) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${CONTENT.length}` });
    else res.writeHead(200, headers);
    // Requests being answered at once: counted from the request to its last byte.
    open++;
    mostOpen = Math.max(mostOpen, open);
    let counted = true;
    const done = () => {
      if (counted) open--;
      counted = false;
    };
    const pace = async () => {
      for (let at = start; !res.destroyed; at += 16 * 1024) {
        const last = at + 16 * 1024 > end;
        const chunk = CONTENT.subarray(at, Math.min(end + 1, at + 16 * 1024));
        if (last) {
          done();
          res.end(chunk);
          return;
        }
        res.write(chunk);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    res.once('close', done);
    void pace();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/capped.bin`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function fetchCapped(connectionProbe: Partial<ConnectionProbe> | false) {
  dir = mkdtempSync(join(tmpdir(), 'autobyteus-dl-capped-'));
  const dest = join(dir, 'capped.bin');
  open = 0;
  mostOpen = 0;
  const result = await download({
    url,
    dest,
    sha256: SHA,
    expectedSize: CONTENT.length,
    partBytes: PART,
    connections: 4,
    connectionProbe,
  });
  expect(result.sha256).toBe(SHA);
  expect(readFileSync(dest).equals(CONTENT)).toBe(true);
  expect(readdirSync(dir)).toEqual(['capped.bin']);
  return result;
}

describe('adaptive connections against a per-connection capped server', () => {
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts with one connection and opens more, since each raises the rate', async () => {
    const result = await fetchCapped({ windowMs: 100 });
    expect(mostOpen).toBeGreaterThan(1);
    expect(result.connections).toBeGreaterThanOrEqual(mostOpen);
    expect(result.requests).toBe(16);
  });

  it('stays on one connection when that one is fast enough', async () => {
    const result = await fetchCapped({ windowMs: 100, fastBytesPerSec: 1 });
    expect(mostOpen).toBe(1);
    expect(result.connections).toBe(1);
  });

  it('opens every connection at once when probing is off', async () => {
    const result = await fetchCapped(false);
    expect(mostOpen).toBe(4);
    expect(result.connections).toBe(4);
  });
});
