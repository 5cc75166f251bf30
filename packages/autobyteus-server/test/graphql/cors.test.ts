import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCorsOrigins } from '../../src/config/cors-origins.js';
import { ConfigError, loadServerConfig } from '../../src/config/server-config.js';
import { tempHome } from '../support/server-process.js';
import { type RunningApp, startApp } from './graphql-app.js';
import { postGraphql } from './web-documents.js';

const TOKEN = 'cors-test-token-0123456789';
const ALLOWED = 'http://localhost:3000';
const OTHER = 'https://evil.example';
const QUERY = '{ availableAudioProvidersWithModels { provider { id } } }';
let app: RunningApp;
let plain: RunningApp;

beforeAll(async () => {
  app = await startApp({
    configToml: '',
    env: { AUTOBYTEUS_CORS_ORIGINS: `${ALLOWED}, https://app.example.com` },
    apiToken: TOKEN,
  });
  plain = await startApp({ configToml: '', apiToken: TOKEN });
});

afterAll(async () => {
  await app?.close();
  await plain?.close();
});

function preflight(base: string, origin: string) {
  return fetch(`${base}/graphql`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    },
  });
}

function corsHeaders(response: Response): string[] {
  return [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));
}

describe('CORS allow-list (AUTOBYTEUS_CORS_ORIGINS)', () => {
  it("answers an allowed origin's preflight without a token", async () => {
    const response = await preflight(app.url, ALLOWED);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, HEAD, POST, DELETE');
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
    expect(response.headers.get('access-control-max-age')).toBe('600');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('still wants the token on the actual request; with it, the answer is readable cross-origin', async () => {
    const without = await postGraphql(app.url, QUERY, {}, { origin: ALLOWED });
    expect(without.status).toBe(401);
    expect(without.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    const ok = await postGraphql(app.url, QUERY, {}, { origin: ALLOWED, authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ data: { availableAudioProvidersWithModels: [] } });
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(ok.headers.get('access-control-expose-headers')).toBe('x-request-id, retry-after');
    expect(ok.headers.get('vary')).toMatch(/origin/i);
  });

  it('gives an origin not on the list no CORS headers: its preflight meets the token check', async () => {
    const response = await preflight(app.url, OTHER);
    expect(response.status).toBe(401);
    expect(corsHeaders(response)).toEqual([]);
    const actual = await postGraphql(app.url, QUERY, {}, { origin: OTHER, authorization: `Bearer ${TOKEN}` });
    expect(actual.status).toBe(200);
    expect(corsHeaders({ headers: actual.headers } as Response)).toEqual([]);
  });

  it('is off by default: no CORS headers for any origin', async () => {
    const response = await preflight(plain.url, ALLOWED);
    expect(response.status).toBe(401);
    expect(corsHeaders(response)).toEqual([]);
    const actual = await postGraphql(plain.url, QUERY, {}, { origin: ALLOWED, authorization: `Bearer ${TOKEN}` });
    expect(actual.status).toBe(200);
    expect(corsHeaders({ headers: actual.headers } as Response)).toEqual([]);
  });
});

describe('AUTOBYTEUS_CORS_ORIGINS values', () => {
  it('takes origins from the environment or config.toml, normalised', () => {
    expect(parseCorsOrigins(['HTTP://LocalHost:3000/, https://a.example:443', '*'])).toEqual([
      'http://localhost:3000',
      'https://a.example',
      '*',
    ]);
    const home = tempHome('[server]\ncors_origins = ["http://127.0.0.1:5173", "https://b.example"]\n');
    const config = loadServerConfig({ env: { AUTOBYTEUS_HOME: home }, cwd: home });
    expect(config.values.AUTOBYTEUS_CORS_ORIGINS).toEqual(['http://127.0.0.1:5173', 'https://b.example']);
    expect(
      loadServerConfig({ env: { AUTOBYTEUS_HOME: home, AUTOBYTEUS_CORS_ORIGINS: '' }, cwd: home }).values
        .AUTOBYTEUS_CORS_ORIGINS,
    ).toEqual([]);
  });

  it('refuses anything that is not an origin, naming the entry', () => {
    const home = tempHome();
    for (const bad of [
      'http://localhost:3000/app',
      'ftp://x.example',
      'localhost:3000',
      'https://u:p@x.example',
      'http://x?q=1',
    ]) {
      let error: unknown;
      try {
        loadServerConfig({
          env: { AUTOBYTEUS_HOME: home, AUTOBYTEUS_CORS_ORIGINS: `http://ok.example,${bad}` },
          cwd: home,
        });
      } catch (caught) {
        error = caught;
      }
      expect(error, bad).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => [i.key, i.expected])).toEqual([
        [
          'AUTOBYTEUS_CORS_ORIGINS',
          `browser origins (scheme://host[:port], no path), comma-separated, e.g. http://localhost:3000,https://app.example.com; or *; "${bad}" is not an origin`,
        ],
      ]);
    }
  });
});
