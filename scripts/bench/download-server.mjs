// Child of scripts/bench-download.mjs: serves one file over loopback with Range (`bytes=N-` and
// `bytes=N-M`), optionally throttled per connection (as CDNs cap one connection), and prints its port.
//   node scripts/bench/download-server.mjs FILE [PER_CONNECTION_MB_PER_S]
import { createReadStream, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer } from 'node:http';

const [file, throttle] = process.argv.slice(2);
const perConnection = Number(throttle ?? 0) * 1e6;
const size = statSync(file).size;
const handle = await open(file, 'r');

const server = createServer((req, res) => {
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  const start = range ? Number(range[1]) : 0;
  const end = range?.[2] ? Math.min(size - 1, Number(range[2])) : size - 1;
  const headers = { 'content-length': end - start + 1, 'accept-ranges': 'bytes' };
  if (range) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}` });
  else res.writeHead(200, headers);
  if (!perConnection) {
    createReadStream(file, { start, end, highWaterMark: 1 << 20 }).pipe(res);
    return;
  }
  void paced(res, start, end);
});

/** Writes [start, end] at `perConnection` bytes/s: 256 KiB at a time, each when its time has come. */
async function paced(res, start, end) {
  const began = performance.now();
  let closed = false;
  res.once('close', () => {
    closed = true;
  });
  for (let position = start; position <= end && !closed; ) {
    const buffer = Buffer.allocUnsafe(Math.min(256 * 1024, end - position + 1));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    position += bytesRead;
    if (!res.write(buffer.subarray(0, bytesRead))) await new Promise((resolve) => res.once('drain', resolve));
    const ahead = ((position - start) / perConnection) * 1000 - (performance.now() - began);
    if (ahead > 1) await new Promise((resolve) => setTimeout(resolve, ahead));
  }
  res.end();
}

server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
