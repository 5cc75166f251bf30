import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { relayLevel } from '../../src/engines/process/engine-log-level.js';
import { pipeOutput } from '../../src/engines/process/engine-output.js';
import { createRun } from '../../src/engines/process/engine-run.js';
import { LoadProgress } from '../../src/engines/process/load-progress.js';
import { createServerLogger } from '../../src/logging/server-logger.js';

/**
 * What the suite's llama-server (node-llama-cpp 3.21.1's llama.cpp) printed on stderr starting
 * SmolLM2-135M-Instruct.Q4_1.gguf at its default verbosity, all of it.
 */
const LLAMA_START = [
  '0.00.024.101 I cmn  common_param: common_params_print_info: verbosity = 3 (adjust with the `-lv N` CLI arg)',
  '0.00.032.720 W srv  llama_server: -----------------',
  "0.00.032.721 W srv  llama_server: CORS is set to allow all origins ('*') and no API key is set",
  '0.00.032.722 W srv  llama_server: this can be a security risk (cross-origin attacks)',
  '0.00.032.722 W srv  llama_server: more info: https://github.com/ggml-org/llama.cpp/pull/25655',
  '0.00.032.722 W srv  llama_server: -----------------',
  "0.00.033.712 I srv    load_model: loading model '/home/u/.autobyteus/models/gguf/SmolLM2-135M-Instruct.Q4_1.gguf'",
  '0.00.667.303 I cmn          init: llama threadpool init, n_threads = 2',
  "0.02.555.369 I srv    load_model: initializing, n_slots = 4, n_ctx_slot = 4096, kv_unified = 'true'",
  '0.02.569.389 I srv  llama_server: model loaded',
  '0.02.569.417 I srv  llama_server: listening on http://127.0.0.1:18000',
];

describe('relayLevel', () => {
  it("puts engine chatter at debug, the engine's own error records at warn", () => {
    expect(relayLevel('debug')).toBe('debug');
    expect(relayLevel('info')).toBe('debug');
    expect(relayLevel('warn')).toBe('debug');
    expect(relayLevel('error')).toBe('warn');
  });
});

describe('LoadProgress', () => {
  it("sums up llama-server's start in two lines, timed by the engine's own clock", () => {
    const progress = new LoadProgress();
    // Read times far from the engine's clock: the header time wins.
    const summaries = LLAMA_START.map((line, i) => progress.line(line, 1_000_000 + i * 10_000)).filter(Boolean);
    expect(summaries).toEqual([
      { message: 'loading SmolLM2-135M-Instruct.Q4_1.gguf', fields: {} },
      { message: 'SmolLM2-135M-Instruct.Q4_1.gguf loaded in 2.5 s', fields: { slots: 4, ctxPerSlot: 4096 } },
    ]);
  });

  it('times lines without record headers by when they were read', () => {
    const progress = new LoadProgress();
    expect(progress.line("srv    load_model: loading model '/m/tiny.gguf'", 5_000)).toEqual({
      message: 'loading tiny.gguf',
      fields: {},
    });
    expect(progress.line('main: model loaded', 17_250)).toEqual({ message: 'tiny.gguf loaded in 12.3 s', fields: {} });
  });

  it('says nothing for output that is not a load (requests, mlx_lm.server, a second "model loaded")', () => {
    const progress = new LoadProgress();
    const quiet = [
      'srv  log_server_r: request: POST /v1/chat/completions 127.0.0.1 200',
      '2026-01-02 10:11:12,345 - INFO - Starting httpd at 127.0.0.1 on port 18200...',
      '0.02.569.389 I srv  llama_server: model loaded',
      '0.06.978.721 I srv  update_slots: all slots are idle',
    ];
    for (const line of quiet) expect(progress.line(line, 0)).toBeUndefined();
  });

  it('sums up each load of a restarted engine', () => {
    const progress = new LoadProgress();
    const messages = [...LLAMA_START, ...LLAMA_START].map((line) => progress.line(line, 0)?.message).filter(Boolean);
    expect(messages).toHaveLength(4);
  });
});

describe('pipeOutput', () => {
  it('relays engine lines at debug, redacted, with the load summary at info, in both formats', async () => {
    for (const format of ['json', 'pretty'] as const) {
      const written: string[] = [];
      const logger = createServerLogger({
        level: 'info',
        logPrompts: false,
        format,
        destination: { write: (text: string) => void written.push(text) },
      });
      const stream = new PassThrough();
      const done = pipeOutput(createRun(0, false), stream, 'stderr', {
        log: logger.child({ engine: 'llama-cpp' }),
        logPrompts: false,
        listeners: new Set(),
      });
      stream.end(
        [
          ...LLAMA_START,
          // A line without a header continues the record before it (here an info one: debug).
          'srv  log_server_r: request:  {"messages":[{"role":"user","content":"PROMPT-MARKER-5b1e"}]}',
          '0.03.000.000 E srv  send_error: task id = 1, error: the request exceeds the available context size',
        ].join('\n'),
      );
      await done;
      const out = written.join('');
      const lines = out.trimEnd().split('\n');
      // At info: the two summary lines and the engine's error record, nothing else it printed.
      expect(lines, out).toHaveLength(3);
      expect(out).toContain('loading SmolLM2-135M-Instruct.Q4_1.gguf');
      expect(out).toContain('SmolLM2-135M-Instruct.Q4_1.gguf loaded in 2.5 s');
      expect(out).toContain('exceeds the available context size');
      expect(out).not.toContain('CORS is set');
      expect(out).not.toContain('listening on');
      if (format === 'pretty') {
        expect(lines[0]).toMatch(/INFO: \[llama-cpp\] loading SmolLM2-135M-Instruct\.Q4_1\.gguf$/);
        expect(lines[1]).toMatch(
          /INFO: \[llama-cpp\] SmolLM2-135M-Instruct\.Q4_1\.gguf loaded in 2\.5 s slots=4 ctxPerSlot=4096$/,
        );
        expect(lines[2]).toMatch(/WARN: \[llama-cpp\] 0\.03\.000\.000 E srv {2}send_error/);
      } else {
        expect(lines.map((line) => JSON.parse(line).level)).toEqual([30, 30, 40]);
      }
    }
  });

  it('keeps prompt text out of the debug lines in the pretty format too', async () => {
    const written: string[] = [];
    const logger = createServerLogger({
      level: 'debug',
      logPrompts: false,
      format: 'pretty',
      destination: { write: (text: string) => void written.push(text) },
    });
    const stream = new PassThrough();
    const done = pipeOutput(createRun(0, false), stream, 'stdout', {
      log: logger.child({ engine: 'llama-cpp' }),
      logPrompts: false,
      listeners: new Set(),
    });
    stream.end('srv  log_server_r: request:  {"messages":[{"role":"user","content":"PROMPT-MARKER-5b1e"}]}\n');
    await done;
    expect(written.join('')).toMatch(/DEBUG: \[llama-cpp\] srv {2}log_server_r: request: {2}\[redacted\]\n$/);
  });
});
