// curl as the reference client of the tokens part: the same request body, timed by curl itself.
import { spawn } from 'node:child_process';

/**
 * Runs curl on the body in `bodyPath` against `url`, writing the stream to `outPath`; resolves with
 * wall and curl's own `time_total` ms. With `measureCpu` it runs under `sh -c '...; times'` to read
 * curl's CPU time too (used for the untimed validation run only; timed runs spawn curl directly).
 * `track` registers the child for clean-up.
 */
export function runCurl(url, bodyPath, outPath, { measureCpu = false, track = (c) => c } = {}) {
  return new Promise((resolve, reject) => {
    const argv = [
      '-sN',
      '-H',
      'content-type: application/json',
      '-d',
      `@${bodyPath}`,
      `${url}/v1/chat/completions`,
      '-o',
      outPath,
      '-w',
      measureCpu ? '%{time_total}\\n' : '%{time_total}',
    ];
    const t0 = performance.now();
    const child = track(
      measureCpu
        ? spawn('sh', ['-c', 'curl "$@" && times', 'sh', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn('curl', argv, { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`curl exited with ${code}: ${stderr}`));
      const lines = stdout.trim().split('\n');
      const result = { wallMs, timeTotalMs: Number(lines[0]) * 1000 };
      if (measureCpu) {
        // `times`: shell user/sys, then children user/sys, as 0m0.012s.
        const secs = (text) =>
          [...text.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
        result.cpuMs = lines[2] ? secs(lines[2]) * 1000 : undefined;
      }
      resolve(result);
    });
  });
}
