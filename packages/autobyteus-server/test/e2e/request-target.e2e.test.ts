import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RawResponse, rawRequest } from '../support/raw-http.js';
import { type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// Authentication must follow the route the router matched, not the text of the request target:
// every spelling of a protected path that some layer might decode or normalise is sent byte for
// byte over a raw socket (fetch would normalise it first) to a server that has a token.
const TOKEN = 'request-target-token-0123456789';
const QUIET = '[server]\nport = 0\n[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n';
const CHAT = '{"model":"m","messages":[{"role":"user","content":"hi"}]}';

const ROUTES: Array<{ method: 'GET' | 'POST'; path: string }> = [
  { method: 'GET', path: '/v1/models' },
  { method: 'POST', path: '/v1/chat/completions' },
  { method: 'GET', path: '/api/health' },
  { method: 'GET', path: '/api/models' },
  { method: 'GET', path: '/api/engines' },
  { method: 'GET', path: '/api/openapi.json' },
  { method: 'POST', path: '/api/models/reload' },
];

const hex = (c: string, upper: boolean) => {
  const h = c.charCodeAt(0).toString(16);
  return `%${upper ? h.toUpperCase() : h}`;
};

/** Every spelling of `path` that could reach the same handler through decoding or normalisation. */
function targetVariants(path: string): string[] {
  const out = new Set<string>([path]);
  const chars = [...path];
  chars.forEach((c, i) => {
    const at = (s: string) => [...chars.slice(0, i), s, ...chars.slice(i + 1)].join('');
    if (/[a-z0-9.]/i.test(c)) {
      out.add(at(hex(c, false)));
      out.add(at(hex(c, true)));
      out.add(at(c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()));
    }
    if (c === '/') {
      out.add(at('//'));
      out.add(at('/./'));
      out.add(at('/x/../'));
      out.add(at('/%2e/'));
      out.add(at('/%2e%2e/x/'));
      out.add(at(';/'));
      out.add(at(';a=b/'));
      out.add(at('\\'));
      if (i > 0) {
        out.add(at('%2F'));
        out.add(at('%2f'));
        out.add(at('%252F'));
      }
    }
  });
  out.add(chars.map((c) => (/[a-z]/i.test(c) ? hex(c, false) : c)).join(''));
  out.add(path.toUpperCase());
  for (const tail of ['/', '//', '/.', '/..', ';', ';a=b', '?', '?a=b', '#x', '%00', '%20', '.', '~']) {
    out.add(path + tail);
  }
  for (const prefix of ['http://x', 'HTTP://X', 'http://127.0.0.1', 'https://x:1', 'http://x/.', 'http://user@x']) {
    out.add(prefix + path);
  }
  out.add(`/x/..${path}`);
  out.add(`/.${path}`);
  out.add(`//${path}`);
  out.add(`/%2e%2e${path}`);
  return [...out];
}

let server: ServerProcess;
let port: number;

beforeAll(async () => {
  server = await startServerProcess(tempHome(QUIET), [], { AUTOBYTEUS_API_TOKEN: TOKEN });
  port = Number(new URL(server.url).port);
});

afterAll(async () => {
  await server?.stop();
});

const send = (method: string, target: string, headers = ''): Promise<RawResponse> =>
  rawRequest(
    port,
    `${method} ${target} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json${headers}`,
    method === 'POST' ? CHAT : '',
  );

/** Runs `work` over `items` a few at a time (the server and the test share two cores). */
async function inBatches<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += 8) await Promise.all(items.slice(i, i + 8).map(work));
}

describe('request targets with a token set', () => {
  const cases = ROUTES.flatMap(({ method, path }) =>
    targetVariants(path).flatMap((target) =>
      (method === 'GET' ? ['GET', 'HEAD', 'OPTIONS'] : ['POST', 'OPTIONS']).map((m) => ({ method: m, target })),
    ),
  );

  it(`refuses all ${cases.length} spellings of the protected routes without the token`, async () => {
    const served: string[] = [];
    await inBatches(cases, async ({ method, target }) => {
      const res = await send(method, target);
      // 401 for anything routed (or unrouted); 400 where the target itself is malformed.
      if (![400, 401].includes(res.status))
        served.push(`${method} ${target} -> ${res.status} ${res.body.slice(0, 80)}`);
      if (res.status === 400) expect(res.body, target).not.toMatch(/"(object|models|engines|status|openapi)"/);
    });
    expect(served).toEqual([]);
  }, 120_000);

  it('the same family reaches real handlers with the token, so the refusals above are not just 404s', async () => {
    const reached: string[] = [];
    await inBatches(
      cases.filter((c) => c.method === 'GET'),
      async ({ target }) => {
        const res = await send('GET', target, `\r\nauthorization: Bearer ${TOKEN}`);
        if (res.status === 200) reached.push(target);
      },
    );
    // Several non-canonical spellings are decoded by the router to the real route.
    expect(reached).toContain('/%761/models');
    expect(reached).toContain('http://x/v1/models');
    expect(reached.length).toBeGreaterThan(ROUTES.length);
  }, 120_000);

  it('a wrong or malformed Authorization header is refused on the canonical routes', async () => {
    for (const header of ['Bearer wrong', `bearer ${TOKEN}`, `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, 'Bearer ']) {
      const res = await send('GET', '/v1/models', `\r\nauthorization: ${header}`);
      expect(res.status, header).toBe(401);
    }
  });

  it('unknown routes need the token too, and the 404 echoes no raw request text', async () => {
    expect((await send('GET', '/no/such/route')).status).toBe(401);
    const auth = `\r\nauthorization: Bearer ${TOKEN}`;
    const long = `/${'a'.repeat(5000)}`;
    const res = await send('GET', `${long}?secret=swordfish`, auth);
    expect(res.status).toBe(404);
    expect(res.body.length).toBeLessThan(1000);
    expect(res.body).not.toContain('swordfish');
    const weird = await send('GET', '/%1b[31mred%0d%0ainjected', auth);
    expect(weird.status).toBe(404);
    const message: string = JSON.parse(weird.body).error.message;
    expect([...message].filter((c) => c < ' ' || c > '~')).toEqual([]);
  });
});
