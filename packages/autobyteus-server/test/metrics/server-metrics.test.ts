import { describe, expect, it } from 'vitest';
import { KnownModelNames } from '../../src/metrics/known-model-names.js';
import { ServerMetrics } from '../../src/metrics/server-metrics.js';
import { parseMetrics, samples, sampleValue } from '../support/prometheus-text.js';

/** A clock the test moves by hand, so histogram buckets are asserted exactly. */
function manualClock() {
  let ms = 0;
  return { now: () => ms, advance: (seconds: number) => (ms += seconds * 1000) };
}

const KNOWN = new Set(['llama3', 'qwen', 'smollm']);

function metrics(options: { maxModelLabels?: number } = {}) {
  const clock = manualClock();
  const m = new ServerMetrics({ isKnownModel: (name) => KNOWN.has(name), now: clock.now, ...options });
  return { m, clock, parsed: async () => parseMetrics((await m.render()).text) };
}

describe('ServerMetrics', () => {
  it('a request: in flight while running, then counted by host and outcome with TTFT, duration and tokens', async () => {
    const { m, clock, parsed } = metrics();
    const request = m.requestStarted({ model: 'llama3', pool: 'llama3' });
    expect(sampleValue(await parsed(), 'autobyteus_requests_in_flight', { pool: 'llama3' })).toBe(1);

    clock.advance(0.3);
    request.firstToken();
    clock.advance(2);
    request.firstToken(); // only the first counts
    request.finished('ok', { host: 'http://127.0.0.1:8080', tokens: 42 });
    request.finished('error', { host: 'http://127.0.0.1:8080', tokens: 5 }); // ignored

    const p = await parsed();
    expect(sampleValue(p, 'autobyteus_requests_in_flight', { pool: 'llama3' })).toBe(0);
    expect(
      sampleValue(p, 'autobyteus_requests_total', { model: 'llama3', host: 'http://127.0.0.1:8080', outcome: 'ok' }),
    ).toBe(1);
    expect(samples(p, 'autobyteus_requests_total', { outcome: 'error' })).toEqual([]);
    expect(
      sampleValue(p, 'autobyteus_tokens_generated_total', { model: 'llama3', host: 'http://127.0.0.1:8080' }),
    ).toBe(42);

    const [ttft] = samples(p, 'autobyteus_time_to_first_token_seconds', { model: 'llama3' });
    expect(ttft?.count).toBe('1');
    expect(Number(ttft?.sum)).toBeCloseTo(0.3);
    expect(ttft?.buckets?.['0.25']).toBe('0');
    expect(ttft?.buckets?.['0.5']).toBe('1');
    expect(ttft?.buckets?.['120']).toBe('1');

    const [duration] = samples(p, 'autobyteus_request_duration_seconds', { model: 'llama3', outcome: 'ok' });
    expect(Number(duration?.sum)).toBeCloseTo(2.3);
    expect(duration?.buckets?.['1']).toBe('0');
    expect(duration?.buckets?.['2.5']).toBe('1');
  });

  it('a request no host took is counted under host "none", with no tokens and no TTFT', async () => {
    const { m, parsed } = metrics();
    m.requestStarted({ model: 'qwen', pool: 'qwen' }).finished('rejected');
    const p = await parsed();
    expect(sampleValue(p, 'autobyteus_requests_total', { model: 'qwen', host: 'none', outcome: 'rejected' })).toBe(1);
    expect(samples(p, 'autobyteus_tokens_generated_total')).toEqual([]);
    expect(samples(p, 'autobyteus_time_to_first_token_seconds', { model: 'qwen' })).toEqual([]);
    expect(sampleValue(p, 'autobyteus_requests_in_flight', { pool: 'qwen' })).toBe(0);
  });

  it('queued moves the per-pool gauge both ways', async () => {
    const { m, parsed } = metrics();
    m.queued('llama3', 1);
    m.queued('llama3', 1);
    m.queued('qwen', 1);
    m.queued('llama3', -1);
    const p = await parsed();
    expect(sampleValue(p, 'autobyteus_requests_queued', { pool: 'llama3' })).toBe(1);
    expect(sampleValue(p, 'autobyteus_requests_queued', { pool: 'qwen' })).toBe(1);
  });

  it('hostState: up as 1/0, exactly one breaker state at 1; hostGone removes the series', async () => {
    const { m, parsed } = metrics();
    const host = { runtime: 'llama_cpp', host: 'http://10.0.0.5:8080' };
    m.hostState(host.runtime, host.host, true, 'closed');
    m.hostState(host.runtime, host.host, false, 'open');
    let p = await parsed();
    expect(sampleValue(p, 'autobyteus_host_up', host)).toBe(0);
    expect(sampleValue(p, 'autobyteus_host_breaker_state', { ...host, state: 'open' })).toBe(1);
    expect(sampleValue(p, 'autobyteus_host_breaker_state', { ...host, state: 'closed' })).toBe(0);
    expect(sampleValue(p, 'autobyteus_host_breaker_state', { ...host, state: 'half_open' })).toBe(0);
    m.hostState(host.runtime, host.host, true, 'half_open');
    p = await parsed();
    expect(sampleValue(p, 'autobyteus_host_up', host)).toBe(1);
    expect(samples(p, 'autobyteus_host_breaker_state', host).map((s) => [s.labels?.state, s.value])).toEqual([
      ['closed', '0'],
      ['open', '0'],
      ['half_open', '1'],
    ]);
    m.hostGone(host.runtime, host.host);
    p = await parsed();
    expect(samples(p, 'autobyteus_host_up', host)).toEqual([]);
    expect(samples(p, 'autobyteus_host_breaker_state', host)).toEqual([]);
  });

  it('model loads (ok with load time, error), unloads by reason', async () => {
    const { m, parsed } = metrics();
    m.modelLoaded('smollm', 'llama-cpp', 1.5);
    m.modelLoadFailed('smollm', 'llama-cpp');
    m.modelUnloaded('smollm', 'llama-cpp', 'idle');
    m.modelUnloaded('smollm', 'llama-cpp', 'idle');
    m.modelUnloaded('smollm', 'llama-cpp', 'evicted');
    const p = await parsed();
    const labels = { model: 'smollm', engine: 'llama-cpp' };
    expect(sampleValue(p, 'autobyteus_model_loads_total', { ...labels, outcome: 'ok' })).toBe(1);
    expect(sampleValue(p, 'autobyteus_model_loads_total', { ...labels, outcome: 'error' })).toBe(1);
    expect(sampleValue(p, 'autobyteus_model_unloads_total', { ...labels, reason: 'idle' })).toBe(2);
    expect(sampleValue(p, 'autobyteus_model_unloads_total', { ...labels, reason: 'evicted' })).toBe(1);
    const [load] = samples(p, 'autobyteus_model_load_seconds', labels);
    expect(load?.count).toBe('1');
    expect(Number(load?.sum)).toBe(1.5);
    expect(load?.buckets?.['1']).toBe('0');
    expect(load?.buckets?.['2.5']).toBe('1');
  });

  it('download bytes by kind (zero and negative amounts ignored)', async () => {
    const { m, parsed } = metrics();
    m.downloadBytes('model', 1000);
    m.downloadBytes('model', 24);
    m.downloadBytes('engine', 7);
    m.downloadBytes('engine', -5);
    const p = await parsed();
    expect(sampleValue(p, 'autobyteus_download_bytes_total', { kind: 'model' })).toBe(1024);
    expect(sampleValue(p, 'autobyteus_download_bytes_total', { kind: 'engine' })).toBe(7);
  });

  it('an unknown model or pool name is "other"; the cap on distinct values holds even for known ones', async () => {
    const { m, parsed } = metrics({ maxModelLabels: 2 });
    for (let i = 0; i < 50; i++) m.requestStarted({ model: `random-${i}`, pool: `random-${i}` }).finished('rejected');
    m.requestStarted({ model: 'llama3', pool: 'llama3' }).finished('ok');
    m.requestStarted({ model: 'qwen', pool: 'qwen' }).finished('ok');
    m.requestStarted({ model: 'smollm', pool: 'smollm' }).finished('ok'); // known, but over the cap
    const p = await parsed();
    const models = samples(p, 'autobyteus_requests_total').map((s) => s.labels?.model);
    expect(new Set(models)).toEqual(new Set(['other', 'llama3', 'qwen']));
    expect(sampleValue(p, 'autobyteus_requests_total', { model: 'other', outcome: 'rejected' })).toBe(50);
    expect(sampleValue(p, 'autobyteus_requests_total', { model: 'other', outcome: 'ok' })).toBe(1);
    expect(new Set(samples(p, 'autobyteus_requests_in_flight').map((s) => s.labels?.pool))).toEqual(
      new Set(['other', 'llama3', 'qwen']),
    );
  });

  it('label values from the network are printable ASCII and bounded; URLs lose their credentials', async () => {
    const weird = 'evil"\n} injected_total 1\n\u00e9\u0000';
    const long = 'x'.repeat(500);
    const m = new ServerMetrics({ processMetrics: false });
    m.requestStarted({ model: weird, pool: long }).finished('ok', { host: 'http://user:secret@h:1/?key=abc' });
    const { text } = await m.render();
    const p = parseMetrics(text);
    expect(p.has('injected_total')).toBe(false);
    const [sample] = samples(p, 'autobyteus_requests_total');
    expect(sample?.labels?.model).toBe('evil"?} injected_total 1???');
    expect(sample?.labels?.host).not.toContain('secret');
    expect(sample?.labels?.host).not.toContain('abc');
    const [pool] = samples(p, 'autobyteus_requests_in_flight');
    expect(pool?.labels?.pool?.length).toBeLessThan(130);
    expect(pool?.labels?.pool?.startsWith('x'.repeat(100))).toBe(true);
    expect(text).not.toContain('secret');
  });

  it('renders the 0.0.4 text format with process metrics, from a registry of its own', async () => {
    const a = new ServerMetrics();
    const b = new ServerMetrics();
    a.downloadBytes('model', 5);
    const rendered = await a.render();
    expect(rendered.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const p = parseMetrics(rendered.text);
    expect(p.get('process_cpu_user_seconds_total')?.type).toBe('COUNTER');
    expect(p.get('autobyteus_requests_total')?.type).toBe('COUNTER');
    expect(p.get('autobyteus_request_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(p.get('autobyteus_requests_in_flight')?.type).toBe('GAUGE');
    expect(samples(parseMetrics((await b.render()).text), 'autobyteus_download_bytes_total')).toEqual([]);
  });
});

describe('KnownModelNames', () => {
  it('answers from the last refresh; a miss refreshes (rate-limited), so a new model is known next time', async () => {
    let names = ['a'];
    let reads = 0;
    let ms = 0;
    const known = new KnownModelNames(
      [
        () => {
          reads++;
          return names;
        },
        async () => ['b'],
      ],
      { minRefreshMs: 1000, now: () => ms },
    );
    await known.refresh();
    expect(known.has('a')).toBe(true);
    expect(known.has('b')).toBe(true);
    names = ['a', 'new'];
    expect(known.has('new')).toBe(false); // refresh done 0 ms ago: no re-read
    expect(reads).toBe(1);
    ms = 1000;
    expect(known.has('new')).toBe(false); // schedules a refresh
    await known.refresh();
    expect(known.has('new')).toBe(true);
  });

  it('a failing source keeps the names it had and reports the error', async () => {
    let fail = false;
    const errors: unknown[] = [];
    const known = new KnownModelNames(
      [
        () => {
          if (fail) throw new Error('disk gone');
          return ['a'];
        },
      ],
      { onError: (e) => errors.push(e) },
    );
    await known.refresh();
    fail = true;
    await known.refresh();
    expect(known.has('a')).toBe(true);
    expect(errors).toHaveLength(1);
  });
});
