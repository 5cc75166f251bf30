import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { freePort, llamaServerBinary, smolLmGguf } from '../../../autobyteus/test/support/real-engines.js';
import { processesMatching } from '../engines/process/support.js';
import { cleanEnv, type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// What `npm start` (`autobyteus-server up`) shows a person: the real CLI in a pseudo-terminal
// (util-linux `script`), with the real llama-server as its managed engine, against what it writes
// when its output is piped (JSON, for log collectors).
const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const START_MS = 120_000;
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');
/** Lines only llama-server itself prints: none may reach the log at info. */
const RAW_ENGINE_LINES = ['llama_server: listening on', 'load_model: loading model', 'CORS is set', 'common_param'];

function scriptProgram(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'this test needs `script` from util-linux (apt-get install util-linux) to run the CLI in a terminal',
    );
  }
}

interface TerminalRun {
  child: ChildProcess;
  url: string;
  /** Everything the terminal showed, colour codes and CRs removed. */
  screen(): string;
  /** What the terminal got, as is. */
  raw(): string;
  /** Ctrl-C in the terminal; resolves with the exit code once the CLI is gone. */
  interrupt(): Promise<number | null>;
}

/** Runs `autobyteus-server up` in a pseudo-terminal and waits for its "listening on" banner. */
async function upInTerminal(env: NodeJS.ProcessEnv): Promise<TerminalRun> {
  const home = tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
  const command = `exec '${process.execPath}' '${CLI}' up`;
  const child = spawn(scriptProgram(), ['-qefc', command, '/dev/null'], {
    env: cleanEnv(home, env),
    cwd: home,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let raw = '';
  child.stdout?.on('data', (d: Buffer) => {
    raw += d;
  });
  child.stderr?.on('data', (d: Buffer) => {
    raw += d;
  });
  const screen = () => raw.replace(ANSI, '').replace(/\r/g, '');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`up did not start within ${START_MS} ms:\n${screen()}`));
    }, START_MS);
    const check = () => {
      const found = /autobyteus-server listening on (http:\/\/\S+) /.exec(screen());
      if (found) {
        clearTimeout(timer);
        resolve(found[1] as string);
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`up exited with ${code}:\n${screen()}`));
    });
  });
  return {
    child,
    url,
    screen,
    raw: () => raw,
    interrupt: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      // ETX through the terminal: its line discipline sends SIGINT to the CLI, as a person's Ctrl-C does.
      child.stdin?.write('\u0003');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

async function managedEnv(): Promise<{ env: NodeJS.ProcessEnv; enginePort: number }> {
  const enginePort = await freePort();
  return {
    enginePort,
    env: {
      AUTOBYTEUS_PORT: '0',
      LLAMACPP_BINARY_PATH: llamaServerBinary(),
      LLAMACPP_DEFAULT_MODEL: smolLmGguf(),
      LLAMACPP_MANAGED_PORT: String(enginePort),
      TERM: 'xterm-256color',
    },
  };
}

let terminal: TerminalRun | undefined;
let piped: ServerProcess | undefined;
afterEach(async () => {
  await terminal?.interrupt();
  terminal = undefined;
  await piped?.stop();
  piped = undefined;
});

describe('the terminal `npm start` shows', () => {
  it(
    'on a terminal: readable coloured lines, no JSON, no raw llama-server output, the load summed up; Ctrl-C stops it all',
    async () => {
      const { env, enginePort } = await managedEnv();
      terminal = await upInTerminal(env);
      expect((await fetch(`${terminal.url}/api/health`)).status).toBe(200);
      const code = await terminal.interrupt();
      const screen = terminal.screen();
      const lines = screen.split('\n').filter((line) => line.trim() !== '');

      expect(
        lines.filter((line) => line.trimStart().startsWith('{')),
        screen,
      ).toEqual([]);
      for (const raw of RAW_ENGINE_LINES) expect(screen, raw).not.toContain(raw);
      expect(screen).toMatch(
        /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: \[llama-cpp\] loading SmolLM2-135M-Instruct\.Q4_1\.gguf$/m,
      );
      expect(screen).toMatch(/INFO: \[llama-cpp\] SmolLM2-135M-Instruct\.Q4_1\.gguf loaded in \d+\.\d s slots=\d+/);
      expect(screen).toMatch(
        /INFO: autobyteus-server listening url=http:\/\/127\.0\.0\.1:\d+ auth="none \(loopback\)"/,
      );
      expect(screen).toContain(`autobyteus-server listening on ${terminal.url} (OpenAI base URL: ${terminal.url}/v1)`);
      expect(screen).toMatch(/INFO: incoming request reqId=\S+ req=GET \/api\/health/);
      expect(screen).toMatch(/INFO: \[llama-cpp\] engine stopped/);
      // Colour, because it is a terminal.
      expect(terminal.raw()).toContain('\u001b[32mINFO');
      expect(code).toBe(0);
      expect(processesMatching(llamaServerBinary(), `--port ${enginePort}`)).toEqual([]);
    },
    START_MS + 60_000,
  );

  it(
    'on a terminal with LOG_FORMAT=json: JSON lines, as asked',
    async () => {
      const { env } = await managedEnv();
      terminal = await upInTerminal({ ...env, LOG_FORMAT: 'json' });
      await terminal.interrupt();
      const logLines = terminal
        .screen()
        .split('\n')
        .filter((line) => line.startsWith('{'));
      const messages = logLines.map((line) => (JSON.parse(line) as { msg: string }).msg);
      expect(messages).toContain('autobyteus-server listening');
      expect(messages).toContainEqual(expect.stringMatching(/^SmolLM2-135M-Instruct\.Q4_1\.gguf loaded in \d+\.\d s$/));
      expect(terminal.screen()).not.toMatch(/\] INFO: /);
    },
    START_MS + 60_000,
  );

  it(
    'with the output piped: JSON lines, engine output only at debug, the summary at info',
    async () => {
      const { env } = await managedEnv();
      piped = await startServerProcess(
        tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n'),
        [],
        env,
        'up',
        START_MS,
      );
      // Off a terminal the log is written in batches (every 4 KB or 100 ms): the banner the start
      // waited for can come before the log record of the same moment.
      const server = piped;
      await vi.waitFor(() => expect(server.output()).toContain('"msg":"autobyteus-server listening"'), {
        timeout: 10_000,
        interval: 50,
      });
      const output = piped.output();
      const records = output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; msg: string; engine?: string });
      expect(records.map((r) => r.msg)).toContain('autobyteus-server listening');
      expect(records).toContainEqual(
        expect.objectContaining({ level: 30, engine: 'llama-cpp', msg: 'loading SmolLM2-135M-Instruct.Q4_1.gguf' }),
      );
      for (const raw of RAW_ENGINE_LINES) expect(output, raw).not.toContain(raw);
      expect(output).not.toMatch(/\] INFO: /);
      expect(output).not.toContain('\u001b[');
    },
    START_MS + 60_000,
  );
});
