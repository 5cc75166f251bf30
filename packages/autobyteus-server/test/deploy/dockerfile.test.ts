import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type DeployTools,
  DOCKERFILE,
  INSTALL_TIMEOUT_MS,
  installDeployTools,
  REPO_ROOT,
  runTool,
} from './deploy-tools.js';
import { dockerIgnore } from './dockerignore.js';

// deploy/Dockerfile linted by hadolint, read by a real parser (dockerfile-parse) and checked against
// the build context it is meant for (the repository root, less .dockerignore); the deploy scripts
// checked by shellcheck. No image is built here: this
// machine has no container runtime that can build (see docs/deploy.md, "What is tested").

interface Instruction {
  instruction: string;
  value: string;
  line: number;
}

interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

interface ParsedDockerfile {
  instructions: Instruction[];
  parentImages: string[];
  finalEnv: Record<string, string>;
}

let tools: DeployTools;
let parsed: ParsedDockerfile;
let stages: Stage[];

beforeAll(() => {
  tools = installDeployTools();
  const result = runTool(tools.python, [join(import.meta.dirname, 'dockerfile-to-json.py'), DOCKERFILE]);
  expect(result.code, result.stderr).toBe(0);
  parsed = JSON.parse(result.stdout) as ParsedDockerfile;
  stages = [];
  for (const instruction of parsed.instructions) {
    if (instruction.instruction === 'FROM') {
      const name = /\bAS\s+(\S+)$/i.exec(instruction.value)?.[1] ?? String(stages.length);
      stages.push({ name, base: parsed.parentImages[stages.length] as string, instructions: [] });
    } else stages.at(-1)?.instructions.push(instruction);
  }
}, INSTALL_TIMEOUT_MS);

function stage(name: string): Stage {
  const found = stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name} (have ${stages.map((s) => s.name).join(', ')})`);
  return found;
}

function all(s: Stage, instruction: string): string[] {
  return s.instructions.filter((i) => i.instruction === instruction).map((i) => i.value);
}

function last(s: Stage, instruction: string): string {
  const values = all(s, instruction);
  if (!values.length) throw new Error(`stage ${s.name} has no ${instruction}`);
  return values.at(-1) as string;
}

describe('deploy/Dockerfile', () => {
  it('passes hadolint (its one ignored rule, DL3008, is explained in the file)', () => {
    const lint = runTool(tools.hadolint, ['--no-color', DOCKERFILE]);
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    expect(lint.stdout + lint.stderr).toBe('');
    // It can fail: an unpinned base image and a `cd` in RUN are findings.
    const bad = runTool(tools.hadolint, ['--no-color', '-'], 'FROM debian\nRUN cd /tmp && true\n');
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/DL3006/);
    expect(bad.stdout).toMatch(/DL3003/);
  });

  it('its scripts pass shellcheck', () => {
    const scripts = ['build-llama-cpp.sh', 'local-base-image.sh', 'smoke-test-images.sh'].map((f) =>
      join(REPO_ROOT, 'deploy', f),
    );
    const check = runTool(tools.shellcheck, [...scripts, join(REPO_ROOT, 'scripts', 'install-deploy-tools.sh')]);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  it('is multi-stage on Debian bases: engine build, server build, llama.cpp image, server image (the default)', () => {
    expect(stages.map((s) => s.name)).toEqual(['engine-build', 'server-build', 'llama', 'server']);
    for (const s of stages) expect(s.base, s.name).toMatch(/^(node:20-bookworm-slim|debian:bookworm-slim)$/);
    expect(stage('llama').base).toBe('debian:bookworm-slim');
    expect(stage('server').base).toMatch(/^node:20-/);
  });

  it('builds llama-server and rpc-server from source with CMake (GGML_RPC=ON) in the engine stage', () => {
    const engine = stage('engine-build');
    expect(all(engine, 'RUN').join('\n')).toMatch(/apt-get install[^\n]*\bcmake\b/);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile ARG reference, not a template
    expect(all(engine, 'RUN').join('\n')).toContain('build-llama-cpp.sh "${NODE_LLAMA_CPP_VERSION}" /opt/llama.cpp');
    expect(all(engine, 'ARG')).toContain('NODE_LLAMA_CPP_VERSION=3.21.1');
    // The same pinned llama.cpp source as the test engines the product builds.
    expect(readFileSync(join(REPO_ROOT, 'scripts', 'prepare-test-engines.sh'), 'utf8')).toContain(
      'LLAMA_SOURCE="npm:node-llama-cpp@3.21.1"',
    );
    const script = readFileSync(join(REPO_ROOT, 'deploy', 'build-llama-cpp.sh'), 'utf8');
    for (const flag of ['-DGGML_RPC=ON', '-DGGML_NATIVE=OFF', '-DGGML_BACKEND_DL=ON', '-DBUILD_SHARED_LIBS=ON']) {
      expect(script).toContain(flag);
    }
    expect(script).toMatch(/--target llama-server ggml-rpc-server/);
    expect(script).toContain('ln -sf ggml-rpc-server "$PREFIX/bin/rpc-server"');
    // No AMX variant (CPUID-only dispatch picks it on VMs that report AMX and trap it).
    expect(script).toContain('rm -f "$PREFIX"/bin/libggml-cpu-sapphirerapids.so');
  });

  it('builds the server with npm ci and npm run build, then prunes dev dependencies', () => {
    const runs = all(stage('server-build'), 'RUN').join('\n');
    expect(runs).toContain('npm ci');
    expect(runs).toContain('npm run build');
    expect(runs).toContain('npm prune --omit=dev');
  });

  it('the server image: non-root, AUTOBYTEUS_HOME=/data, remote allowed, port 8765, health check, serve on 0.0.0.0', () => {
    const server = stage('server');
    expect(last(server, 'USER')).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    expect(parsed.finalEnv).toMatchObject({
      AUTOBYTEUS_HOME: '/data',
      ALLOW_REMOTE: 'true',
      AUTOBYTEUS_PORT: '8765',
      LLAMACPP_BINARY_PATH: '/opt/llama.cpp/bin/llama-server',
    });
    expect(parsed.finalEnv.AUTOBYTEUS_API_TOKEN).toBeUndefined();
    expect(all(server, 'EXPOSE')).toEqual(['8765']);
    expect(last(server, 'HEALTHCHECK')).toMatch(/CMD \["node", "\/app\/deploy\/healthcheck\.mjs"\]$/);
    const argv = [...JSON.parse(last(server, 'ENTRYPOINT')), ...JSON.parse(last(server, 'CMD'))];
    expect(argv).toEqual(['tini', '--', 'autobyteus-server', 'serve', '--host', '0.0.0.0']);
    expect(all(server, 'RUN').join('\n')).toContain(
      'ln -s /app/packages/autobyteus-server/bin/autobyteus-server.js /usr/local/bin/autobyteus-server',
    );
  });

  it('the llama.cpp image: non-root, llama-server by default, under tini', () => {
    const llama = stage('llama');
    expect(last(llama, 'USER')).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    expect(JSON.parse(last(llama, 'ENTRYPOINT'))).toEqual(['tini', '--', 'llama-server']);
    expect(all(llama, 'RUN').join('\n')).toMatch(/apt-get install[^\n]*\btini\b/);
    expect(all(llama, 'ENV').join(' ')).toContain('PATH=/opt/llama.cpp/bin:');
  });

  it('every COPY --from names an earlier stage; every other COPY source is in the build context', () => {
    const ignored = dockerIgnore(join(REPO_ROOT, '.dockerignore'));
    let checked = 0;
    stages.forEach((s, index) => {
      for (const copy of all(s, 'COPY')) {
        const from = /^--from=(\S+)\s/.exec(copy)?.[1];
        const parts = copy.replace(/^--\S+\s+/, '').split(/\s+/);
        if (from) {
          expect(
            stages.slice(0, index).map((e) => e.name),
            copy,
          ).toContain(from);
          continue;
        }
        for (const source of parts.slice(0, -1)) {
          expect(existsSync(join(REPO_ROOT, source)), `${source} exists`).toBe(true);
          expect(ignored(source), `${source} is not excluded by .dockerignore`).toBe(false);
          checked++;
        }
      }
    });
    expect(checked).toBeGreaterThanOrEqual(9);
    expect(statSync(join(REPO_ROOT, 'deploy', 'build-llama-cpp.sh')).mode & 0o111).not.toBe(0);
  });

  it('.dockerignore keeps local builds, dependencies, git and secrets out of the context', () => {
    const ignored = dockerIgnore(join(REPO_ROOT, '.dockerignore'));
    for (const path of [
      'node_modules',
      'packages/autobyteus/node_modules/x',
      'packages/autobyteus-server/dist/cli/main.js',
      '.git/HEAD',
      '.env',
      'packages/autobyteus/test/fixtures',
    ]) {
      expect(ignored(path), path).toBe(true);
    }
    for (const path of ['packages/autobyteus/src/index.ts', 'package-lock.json', 'deploy/healthcheck.mjs']) {
      expect(ignored(path), path).toBe(false);
    }
  });
});
