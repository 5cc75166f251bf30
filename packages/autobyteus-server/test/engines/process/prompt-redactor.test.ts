import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { llamaCppReadiness, ManagedLocalEngine, PromptRedactor, REDACTED } from '../../../src/engines/process/index.js';
import { captureLogger, fakeEngineCommand, freePort, tempStateDir } from './support.js';

const redactAll = (lines: string[], logPrompts = false) => {
  const redactor = new PromptRedactor(logPrompts);
  return lines.map((line) => redactor.redact(line));
};

describe('PromptRedactor', () => {
  it('cuts JSON bodies that carry messages, keeping the label', () => {
    const [line] = redactAll(['srv  log_server_r: request:  {"messages":[{"role":"user","content":"SECRET"}]}']);
    expect(line).toBe(`srv  log_server_r: request:  ${REDACTED}`);
  });

  it('keeps ordinary llama-server lines, including request summaries and timings', () => {
    const lines = [
      '0.02.533.779 I srv  llama_server: model loaded',
      '0.02.533.797 I srv  llama_server: listening on http://127.0.0.1:18123',
      'srv  log_server_r: request: POST /v1/chat/completions 127.0.0.1 200',
      '0.06.978.612 I slot print_timing: id  0 | task 0 | prompt eval time =    2307.70 ms /    37 tokens',
      '0.02.773.670 I slot   operator(): id  0 | task 0 | new prompt, n_ctx_slot = 1024, n_keep = 0',
    ];
    expect(redactAll(lines)).toEqual(lines);
  });

  it('redacts llama-server verbose token and message lines and their continuations', () => {
    const out = redactAll([
      "0.05.081.375 D slot process_toke: id  0 | task 0 | n_gen = 1, n_remaining = 2, next token:    49 'SECRET'",
      "0.02.773.173 D srv  eval_llama_c: reasoning budget: tokens=-1, generation_prompt='<|im_start|>SECRET",
      "', start=0 toks, end=0 seqs",
      '0.06.978.720 D Parsed message: {"role":"assistant","content":"SECRET"}',
      '0.06.978.721 I srv  update_slots: all slots are idle',
    ]);
    expect(out.join('\n')).not.toContain('SECRET');
    expect(out[0]).toBe(
      `0.05.081.375 D slot process_toke: id  0 | task 0 | n_gen = 1, n_remaining = 2, next token:${REDACTED}`,
    );
    expect(out[2]).toBe(REDACTED);
    expect(out[4]).toBe('0.06.978.721 I srv  update_slots: all slots are idle');
  });

  it("redacts mlx_lm.server's pretty-printed bodies and DEBUG text pieces up to the next record", () => {
    const out = redactAll([
      '2026-01-02 10:11:12,345 - DEBUG - Incoming Request Body: {',
      '\t"messages": [',
      '\t\t{"role": "user", "content": "SECRET one"}',
      '\t]',
      '}',
      '2026-01-02 10:11:12,400 - DEBUG - SECRET generated piece',
      'SECRET second line of the same piece',
      '2026-01-02 10:11:12,500 - INFO - Prompt processing progress: 1/10',
      '2026-01-02 10:11:12,600 - ERROR - JSONDecodeError: Expecting value - Raw body: SECRET',
    ]);
    expect(out.join('\n')).not.toContain('SECRET');
    expect(out[0]).toBe(`2026-01-02 10:11:12,345 - DEBUG - ${REDACTED}`);
    expect(out[7]).toBe('2026-01-02 10:11:12,500 - INFO - Prompt processing progress: 1/10');
    expect(out[8]).toContain('JSONDecodeError: Expecting value - Raw body:');
  });

  it('follows a pretty-printed body in output without record headers until its brackets close', () => {
    const out = redactAll([
      'request: {',
      '  "prompt": "SECRET { not a bracket",',
      '  "n": [1, 2]',
      '}',
      'after the body',
    ]);
    expect(out).toEqual([`request: ${REDACTED}`, REDACTED, REDACTED, REDACTED, 'after the body']);
  });

  it('passes everything through when prompts may be logged', () => {
    const lines = ['request: {"messages":[{"content":"SECRET"}]}', '2026-01-02 10:11:12,400 - DEBUG - SECRET'];
    expect(redactAll(lines, true)).toEqual(lines);
  });
});

describe('engine output in the server log', () => {
  async function runFake(logPrompts: boolean): Promise<string> {
    const port = await freePort();
    const captured = captureLogger();
    // The engine prints these itself (read from a file, so the marker is nowhere in its argv).
    const output = join(tempStateDir(), 'engine-output.txt');
    writeFileSync(
      output,
      [
        'srv  log_server_r: request:  {"messages":[{"role":"user","content":"PROMPT-MARKER-7f3a"}]}',
        'Incoming Request Body: {',
        '  "prompt": "PROMPT-MARKER-7f3a, pretty-printed"',
        '}',
        'plain start-up line',
        '',
      ].join('\n'),
    );
    const engine = new ManagedLocalEngine({
      name: 'llama-cpp',
      command: fakeEngineCommand(port, '--print-file', output),
      hostUrl: `http://127.0.0.1:${port}`,
      readiness: llamaCppReadiness(),
      logger: captured.logger,
      stateDir: tempStateDir(),
      logPrompts,
    });
    try {
      await engine.start();
    } finally {
      await engine.stop();
    }
    return captured.text();
  }

  it('never lets a prompt printed by the engine reach the logger', async () => {
    const log = await runFake(false);
    expect(log).toContain('plain start-up line');
    expect(log).toContain('"engine":"llama-cpp"');
    expect(log).toContain(`request:  ${REDACTED}`);
    expect(log).not.toContain('PROMPT-MARKER-7f3a');
  });

  it('logs it when LOG_PROMPTS is on', async () => {
    expect(await runFake(true)).toContain('PROMPT-MARKER-7f3a');
  });
});
