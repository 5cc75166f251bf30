import { describe, expect, it } from 'vitest';
import { parseMetrics, samples } from '../support/prometheus-text.js';
import { rawRequest } from '../support/raw-http.js';
import { startServerProcess, tempHome } from '../support/server-process.js';

// No engines, no hosts: the server starts with nothing to serve, and /metrics still answers.
const QUIET = '[server]\nport = 0\n[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n';

describe('GET /metrics', () => {
  it('answers the Prometheus text format, which a real parser reads', async () => {
    const server = await startServerProcess(tempHome(QUIET));
    try {
      const res = await fetch(`${server.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const families = parseMetrics(await res.text());
      for (const [name, type] of [
        ['autobyteus_requests_total', 'COUNTER'],
        ['autobyteus_time_to_first_token_seconds', 'HISTOGRAM'],
        ['autobyteus_request_duration_seconds', 'HISTOGRAM'],
        ['autobyteus_tokens_generated_total', 'COUNTER'],
        ['autobyteus_requests_in_flight', 'GAUGE'],
        ['autobyteus_requests_queued', 'GAUGE'],
        ['autobyteus_host_up', 'GAUGE'],
        ['autobyteus_host_breaker_state', 'GAUGE'],
        ['autobyteus_model_loads_total', 'COUNTER'],
        ['autobyteus_model_unloads_total', 'COUNTER'],
        ['autobyteus_model_load_seconds', 'HISTOGRAM'],
        ['autobyteus_download_bytes_total', 'COUNTER'],
        ['process_resident_memory_bytes', 'GAUGE'],
      ] as const) {
        expect(families.get(name)?.type, name).toBe(type);
      }
      expect(Number(samples(families, 'process_resident_memory_bytes')[0]?.value)).toBeGreaterThan(0);
      const doc = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { paths: object };
      expect(Object.keys(doc.paths)).toContain('/metrics');
    } finally {
      await server.stop();
    }
  });

  it('needs the bearer token when one is configured (ALLOW_REMOTE)', async () => {
    const token = 'metrics-token-0123456789abcdef';
    const server = await startServerProcess(tempHome(QUIET), ['--host', '0.0.0.0'], {
      ALLOW_REMOTE: 'true',
      AUTOBYTEUS_API_TOKEN: token,
    });
    try {
      const port = Number(new URL(server.url).port);
      const base = `http://127.0.0.1:${port}`;
      const denied = await fetch(`${base}/metrics`);
      expect(denied.status).toBe(401);
      expect(await denied.text()).not.toContain('autobyteus_');
      expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      // The same route under another spelling of its target needs the token too.
      for (const target of ['/%6detrics', 'http://x/metrics', '/metrics?x=1']) {
        const raw = await rawRequest(port, `GET ${target} HTTP/1.1\r\nhost: x`, '');
        expect(raw.status, target).toBe(401);
      }
      const allowed = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(allowed.status).toBe(200);
      expect(parseMetrics(await allowed.text()).has('autobyteus_requests_total')).toBe(true);
    } finally {
      await server.stop();
    }
  });
});
