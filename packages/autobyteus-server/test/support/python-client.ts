import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_CACHE } from '../../../autobyteus/test/support/real-engines.js';

const SCRIPTS = join(import.meta.dirname, '..', 'e2e', 'python');

/**
 * The python of the clients venv (`openai` from PyPI) that `scripts/prepare-test-engines.sh`
 * (step clients) makes. Fails loudly, never skips.
 */
export function clientsPython(): string {
  const python = join(TEST_CACHE, 'clients-venv', 'bin', 'python');
  if (!existsSync(python)) {
    throw new Error(
      `the Python clients venv is not prepared: ${python} does not exist; run \`bash scripts/prepare-test-engines.sh\` (step clients)`,
    );
  }
  return python;
}

/** Where a Python client script sends its requests, as its users configure the openai package. */
export interface PythonClientTarget {
  /** The gateway's OpenAI base URL (`…/v1`). */
  baseURL: string;
  apiKey: string;
}

/**
 * Runs `test/e2e/python/<script>` with the clients venv's python and returns the JSON line it
 * printed last. A script that exits non-zero (an uncaught exception in the client) rejects with
 * its traceback.
 */
export function runPythonClient(script: string, args: string[], target: PythonClientTarget): Promise<unknown> {
  const env: NodeJS.ProcessEnv = {};
  // This machine's own OpenAI settings (organisation, project, another base URL) stay out.
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('OPENAI_')) env[key] = value;
  Object.assign(env, {
    OPENAI_BASE_URL: target.baseURL,
    OPENAI_API_KEY: target.apiKey,
    // The gateway is on loopback: never through a proxy of this machine.
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
    PYTHONDONTWRITEBYTECODE: '1',
  });
  const child = spawn(clientsPython(), [join(SCRIPTS, script), ...args], { env, timeout: 180_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`${script} ${args.join(' ')} exited with ${code ?? signal}:\n${stderr.slice(-4000)}`));
        return;
      }
      const last = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`${script} printed no JSON line:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`));
      }
    });
  });
}
