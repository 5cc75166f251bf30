import { existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixture, sseEvents } from '../../../autobyteus/test/support/fixtures.js';
import { freePort, llamaServerBinary, smolLmGguf } from '../../../autobyteus/test/support/real-engines.js';
import { replay, type StubEngine, startStubEngine } from '../../../autobyteus/test/support/stub-engine.js';
import { CONSOLE_CSP } from '../../src/console/register-console.js';
import { writeFakeLlamaServer } from '../engines/support/fake-llama.js';
import { startGithubReleases } from '../engines/support/github-releases-server.js';
import { contentOf, FakeHub } from '../models/support/fake-hub.js';
import { tinyGguf } from '../models/support/tiny-gguf.js';
import { fakeLlamaRelease, linuxCpuAsset } from '../support/fake-llama-release.js';
import { cleanEnv, runCli, type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// The web console in Debian's chromium (driven by playwright-core, which downloads no browser), in
// front of a real server process: first with a stub llama.cpp host replaying a recorded stream, then
// with a managed real llama-server for Load / Unload. Screenshots go to test-output/console/.
const TOKEN = `console-token-${process.pid}-4d1c`;
const SHOTS = join(import.meta.dirname, '..', '..', '..', '..', 'test-output', 'console');
const LOCAL_ID = 'Console-Model.Q4_1';

/** Fails (never skips) when the browser is missing. */
function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `chromium is not installed at ${path}: run \`bash scripts/install-browser.sh\` (the README test command does it) or set CHROMIUM_PATH`,
    );
  }
  return path;
}

let browser: Browser;
/** What the page printed as errors (CSP violations show here), per page. */
const pageErrors = new Map<Page, string[]>();

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    // A 401 the page answers with the prompt is expected; anything else is a failure.
    if (message.type() === 'error' && !/status of 401/.test(message.text())) errors.push(message.text());
  });
  pageErrors.set(page, errors);
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function enterToken(page: Page, token: string): Promise<void> {
  await page.locator('#token-dialog[open]').waitFor();
  await page.fill('#token-input', token);
  await page.click('#token-submit');
}

/**
 * Sends `prompt` to `model` in the playground; resolves with the answer's text as it was each time
 * the page changed it (recorded in the page by a MutationObserver) and the final text.
 */
async function chatInPage(page: Page, model: string, prompt: string): Promise<{ seen: string[]; final: string }> {
  await page.selectOption('#chat-model', model);
  await page.fill('#chat-max-tokens', '12');
  await page.fill('#chat-prompt', prompt);
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { seen: string[] }).seen = seen;
    const transcript = document.querySelector('#chat-transcript') as HTMLElement;
    new MutationObserver(() => {
      const answers = transcript.querySelectorAll('.message.assistant pre[data-role="answer"]');
      const last = answers[answers.length - 1]?.textContent ?? '';
      if (seen[seen.length - 1] !== last) seen.push(last);
    }).observe(transcript, { subtree: true, childList: true, characterData: true });
  });
  const before = await page.locator('.message.assistant.finished').count();
  await page.click('#chat-send');
  await page.locator('.message.assistant.finished').nth(before).waitFor({ timeout: 60_000 });
  const final = (await page.locator('.message.assistant pre[data-role="answer"]').last().textContent()) ?? '';
  const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
  return { seen, final };
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
});

describe('console with a stub llama.cpp host (token required)', () => {
  let stub: StubEngine;
  let server: ServerProcess;
  let stubModel: string;
  const chatStream = loadFixture('llama-cpp', 'chat-stream');
  const expected = sseEvents(chatStream.response.body)
    .map((event) => event.replace(/^data: /, '').trim())
    .filter((data) => data !== '[DONE]')
    .map((data) => JSON.parse(data).choices?.[0]?.delta?.content ?? '')
    .join('');

  beforeAll(async () => {
    stub = await startStubEngine({
      '/health': replay(loadFixture('llama-cpp', 'health')),
      '/v1/models': replay(loadFixture('llama-cpp', 'models')),
      '/props': replay(loadFixture('llama-cpp', 'props')),
      // Paced: the page must show the answer growing, not only its end.
      'POST /v1/chat/completions': replay(chatStream, { eventDelayMs: 150 }),
    });
    stubModel = `SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${stub.port}`;
    const home = tempHome(
      `[server]\nport = 0\nhealth_interval_ms = 500\n[llama_cpp]\nhosts = ["${stub.url}"]\n[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n`,
    );
    server = await startServerProcess(home, [], { AUTOBYTEUS_API_TOKEN: TOKEN });
  });

  afterAll(async () => {
    await server?.stop();
    await stub?.close();
  });

  it('serves only the page and its assets without the token, with a strict CSP; the API stays closed', async () => {
    const root = await fetch(`${server.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui');
    const html = await fetch(`${server.url}/ui`);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toMatch(/default-src 'self'/);
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    const js = await fetch(`${server.url}/ui/main.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    // Nothing outside the list is public: not the server's own modules, not a traversal.
    for (const path of [
      '/ui/register-console.js',
      '/ui/..%2fregister-console.js',
      '/ui/%2e%2e/cli/main.js',
      '/ui/x.js',
    ]) {
      expect({ path, status: (await fetch(`${server.url}${path}`)).status }).toEqual({ path, status: 401 });
    }
    for (const path of ['/api/health', '/api/models', '/api/engines', '/api/ps', '/metrics', '/v1/models']) {
      const response = await fetch(`${server.url}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 401 });
    }
  });

  it('without a token the page shows the prompt and no data; a wrong token is refused and asked again', async () => {
    const page = await newPage();
    const refused: string[] = [];
    page.on('response', (response) => {
      if (response.status() === 401) refused.push(new URL(response.url()).pathname);
    });
    await page.goto(`${server.url}/`);
    expect(new URL(page.url()).pathname).toBe('/ui');
    await page.locator('#token-dialog[open]').waitFor();
    expect(await page.textContent('#token-reason')).toContain('needs its API token');
    expect(refused).toContain('/api/health');
    expect(await page.locator('#hosts table').count()).toBe(0);
    await shot(page, 'token-prompt');

    await enterToken(page, 'not-the-token');
    await page.locator('#token-dialog[open]').waitFor();
    await page.waitForFunction(() => document.querySelector('#token-reason')?.textContent?.includes('refused'));
    expect(await page.locator('#hosts table').count()).toBe(0);
    await page.context().close();
  });

  it('with the token: hosts with latency history, models, engines; the token stays in sessionStorage only', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/ui`);
    await enterToken(page, TOKEN);
    await page.locator(`#hosts tr[data-host="llama_cpp@${stub.url}"] .badge.up`).waitFor();
    await page.locator(`#models tr[data-model="${stubModel}"]`).waitFor();
    expect(await page.textContent(`#models tr[data-model="${stubModel}"]`)).toContain('served');
    await page.locator('#engines tr[data-engine="llama_cpp"] button[data-action="upgrade"]').waitFor();
    expect(await page.textContent('#engines tr[data-engine="llama_cpp"] [data-role="versions"]')).toBe(
      'none installed',
    );
    await page.locator('#pulls #pull-model').waitFor();
    expect(await page.locator('#pull-catalog option[value="smollm2-135m-instruct-q4_1"]').count()).toBe(1);
    expect(await page.textContent('#server-info')).toMatch(/autobyteus-server \S+ · up/);
    // The latency history grows with every refresh (one point per round).
    await page.waitForFunction(
      () =>
        (document.querySelector('#hosts svg.sparkline polyline')?.getAttribute('points') ?? '').split(' ').length >= 3,
      undefined,
      { timeout: 30_000 },
    );
    const storage = await page.evaluate(() => ({ session: { ...sessionStorage }, local: { ...localStorage } }));
    expect(Object.values(storage.session)).toContain(TOKEN);
    expect(storage.local).toEqual({});
    await shot(page, 'overview');
    expect(pageErrors.get(page)).toEqual([]);
    await page.context().close();
  });

  it('the chat playground streams the answer in, piece by piece, and the metrics charts follow', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/ui`);
    await enterToken(page, TOKEN);
    await page.locator(`#chat-model option[value="${stubModel}"]`).waitFor({ state: 'attached' });
    const { seen, final } = await chatInPage(page, stubModel, 'What is the capital of France?');
    expect(final).toBe(expected);
    // Seen growing: several distinct partial texts, each a prefix of the next.
    const partial = seen.filter((text) => text !== '' && text !== final);
    expect(partial.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < seen.length; i++) expect(seen[i]?.startsWith(seen[i - 1] ?? '')).toBe(true);
    expect(await page.textContent('#chat-status')).toMatch(/^done · first token/);
    await shot(page, 'chat');

    // The next rounds of /metrics see the request: requests/s above zero at some point, tokens counted.
    await page.waitForFunction(
      () => {
        const line = document.querySelector('figure[data-metric="autobyteus_requests_total"] polyline');
        return (line?.getAttribute('points') ?? '').split(' ').some((p) => Number(p.split(',')[1]) < 30);
      },
      undefined,
      { timeout: 30_000 },
    );
    await shot(page, 'metrics');
    expect(pageErrors.get(page)).toEqual([]);
    await page.context().close();
  });
});

describe('console with a managed real llama-server (load, chat, unload)', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    const home = tempHome('[llama_cpp]\nhosts = ""\n[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
    mkdirSync(join(home, 'models', 'gguf'), { recursive: true });
    symlinkSync(smolLmGguf(), join(home, 'models', 'gguf', `${LOCAL_ID}.gguf`));
    server = await startServerProcess(
      home,
      [],
      {
        AUTOBYTEUS_PORT: '0',
        AUTOBYTEUS_API_TOKEN: TOKEN,
        LLAMACPP_MANAGED: 'true',
        LLAMACPP_BINARY_PATH: llamaServerBinary(),
        LLAMACPP_MANAGED_PORT: String(await freePort()),
      },
      'serve',
      120_000,
    );
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
  });

  const ps = async () =>
    (
      (await (await fetch(`${server.url}/api/ps`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
        models: Array<{ id: string; keepAliveMs: number }>;
      }
    ).models;

  it('Load with a keep_alive starts the engine, the playground streams from it, Unload stops it', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/ui`);
    await enterToken(page, TOKEN);
    const row = page.locator(`#models tr[data-local-model="${LOCAL_ID}"]`);
    await row.locator('[data-state="available"]').waitFor();
    expect(await ps()).toEqual([]);

    await row.locator('input.keep-alive').fill('10m');
    await row.locator('button[data-action="load"]').click();
    await page.locator(`#models tr[data-local-model="${LOCAL_ID}"] [data-state="loaded"]`).waitFor({ timeout: 90_000 });
    expect(await ps()).toMatchObject([{ id: LOCAL_ID, keepAliveMs: 600_000 }]);
    expect(await page.textContent(`#models tr[data-local-model="${LOCAL_ID}"]`)).toContain('10m');
    await shot(page, 'model-loaded');

    const { final } = await chatInPage(page, LOCAL_ID, 'Say hello.');
    expect(final.length).toBeGreaterThan(0);
    expect(await page.textContent('#chat-status')).toMatch(/^done · first token .* tokens/);
    await shot(page, 'chat-local-model');

    await page.locator(`#models tr[data-local-model="${LOCAL_ID}"] button[data-action="unload"]`).click();
    await page
      .locator(`#models tr[data-local-model="${LOCAL_ID}"] [data-state="available"]`)
      .waitFor({ timeout: 30_000 });
    expect(await ps()).toEqual([]);
    await shot(page, 'model-unloaded');
    expect(pageErrors.get(page)).toEqual([]);
    await page.context().close();
  }, 180_000);
});

describe('console: a pull with live progress, and an engine upgrade / rollback (fake hub and release site)', () => {
  let hub: FakeHub;
  let releases: Awaited<ReturnType<typeof startGithubReleases>>;
  let server: ServerProcess;
  const ref = 'hf:test-org/Console-Pull-GGUF/Console-Pulled.Q4_0.gguf';

  beforeAll(async () => {
    hub = await FakeHub.start();
    const { commit } = hub.addRepo('test-org/Console-Pull-GGUF', {
      'Console-Pulled.Q4_0.gguf': contentOf(tinyGguf({ size: 4 * 1024 * 1024 })),
    });
    // Trickled (about 6 s): the page's one-second polls see the bar at several points.
    for (const rev of ['main', commit]) {
      hub.setFault(`/test-org/Console-Pull-GGUF/resolve/${rev}/Console-Pulled.Q4_0.gguf`, {
        trickle: { chunkBytes: 64 * 1024, delayMs: 100 },
      });
    }
    releases = await startGithubReleases([
      { tag: 'b200', assets: [{ name: linuxCpuAsset('b200'), body: await fakeLlamaRelease('b200', 200) }] },
    ]);
    const home = tempHome('[llama_cpp]\nhosts = ""\n[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
    // An installed (not configured) llama.cpp, so the models are served from the home and upgrades apply.
    const folder = mkdtempSync(join(tmpdir(), 'autobyteus-v1-'));
    writeFakeLlamaServer(folder, { build: 1 });
    const installed = await runCli(
      ['engines', 'install', 'llama-cpp', '--from', folder, '--version', 'v1', '--no-smoke'],
      cleanEnv(home),
    );
    expect(installed.code, installed.stderr).toBe(0);
    server = await startServerProcess(home, [], {
      AUTOBYTEUS_PORT: '0',
      AUTOBYTEUS_API_TOKEN: TOKEN,
      HF_ENDPOINT: hub.baseUrl,
      HF_HUB_CACHE: join(home, 'hf-hub'),
      LLAMACPP_MANAGED: 'true',
      LLAMACPP_MANAGED_PORT: String(await freePort()),
      LLAMACPP_RELEASE_URL: releases.baseUrl,
      LLAMACPP_BACKEND: 'cpu',
    });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await hub?.close();
    await releases?.close();
  });

  it('type a model, click Pull: the bar moves, the pull ends done and the model is listed under Models', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/ui`);
    await enterToken(page, TOKEN);
    await page.locator('#pull-model').waitFor();
    expect(await page.locator(`#models tr[data-local-model="Console-Pulled.Q4_0"]`).count()).toBe(0);
    await page.fill('#pull-model', ref);
    await page.click('#pull-start');
    const row = page.locator('#pull-jobs tr[data-job]').first();
    await row.locator('progress').waitFor();
    // The bar's value as the page shows it, each time it changed, until the job ended.
    const values: number[] = [];
    while ((await row.getAttribute('data-state')) !== 'done') {
      const value = await row.locator('progress').evaluate((bar) => (bar as HTMLProgressElement).value);
      if (values.at(-1) !== value) values.push(value);
      if (values.length === 2) await shot(page, 'pull-progress');
      await page.waitForTimeout(200);
    }
    const moving = values.filter((v) => v > 0 && v < 4 * 1024 * 1024);
    expect(moving.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1] ?? 0);
    expect(await row.textContent()).toContain('Console-Pulled.Q4_0');
    await page.locator('#models tr[data-local-model="Console-Pulled.Q4_0"] [data-state="available"]').waitFor();
    await shot(page, 'pull-done');
    expect(pageErrors.get(page)).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('Engines: versions with the active one, Upgrade (confirmed) as a job, Rollback', async () => {
    const page = await newPage();
    const questions: string[] = [];
    page.on('dialog', (dialog) => {
      questions.push(dialog.message());
      void dialog.accept();
    });
    await page.goto(`${server.url}/ui`);
    await enterToken(page, TOKEN);
    const engine = page.locator('#engines tr[data-engine="llama_cpp"]');
    await engine.locator('li[data-version="v1"] .badge.loaded').waitFor();
    await engine.locator('button[data-action="upgrade"]').click();
    await engine.locator('[data-role="upgrade-job"] [data-job-state="done"]').waitFor({ timeout: 60_000 });
    await engine.locator('li[data-version="b200"] .badge.loaded').waitFor();
    expect(await engine.locator('li[data-version="v1"]').textContent()).toContain('previous');
    await shot(page, 'engine-upgraded');
    await engine.locator('button[data-action="rollback"]').click();
    await engine.locator('li[data-version="v1"] .badge.loaded').waitFor();
    expect(await engine.textContent()).toContain('b200 → v1');
    expect(questions).toHaveLength(2);
    expect(questions[0]).toMatch(/^Upgrade llama-cpp\?/);
    await shot(page, 'engine-rolled-back');
    expect(pageErrors.get(page)).toEqual([]);
    await page.context().close();
  }, 90_000);
});
