import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli, type ServerProcess, startServerProcess } from '../support/server-process.js';
import { type ContainerProcess, containerProcess, type ImageConfig, mapPaths, runCommand } from './container-run.js';
import {
  type DeployTools,
  DOCKERFILE,
  INSTALL_TIMEOUT_MS,
  installDeployTools,
  REPO_ROOT,
  runTool,
} from './deploy-tools.js';
import { type K8sObject, RELEASE, type RenderedChart, renderChart } from './rendered-chart.js';

// The server container as the chart and the image define it, run here as processes (there is no
// cluster and no container runtime on this machine): argv from the Dockerfile's ENTRYPOINT/CMD and
// the rendered args, environment from the image's ENV and the rendered env with the Secret's values,
// config.toml from the rendered ConfigMap, then the rendered probe commands against it. Container
// paths map to local folders (/app = this repository, /data and /etc/autobyteus = temp folders).
// Substituted: the port (a free one instead of 8765, which may be taken here), and DNS servers
// (a closed local port, so the cluster name in LLAMACPP_HOSTS is never sent to this machine's
// resolver); `tini --` is dropped (not installed here; it only forwards signals).

const FULL = `${RELEASE}-autobyteus`;
const SERVER_BIN = join(REPO_ROOT, 'packages', 'autobyteus-server', 'bin', 'autobyteus-server.js');

let tools: DeployTools;
let chart: RenderedChart;
let image: ImageConfig;
let healthcheck: string[];

beforeAll(() => {
  tools = installDeployTools();
  chart = renderChart(tools);
  const parsed = runTool(tools.python, [join(import.meta.dirname, 'dockerfile-to-json.py'), DOCKERFILE]);
  expect(parsed.code, parsed.stderr).toBe(0);
  const dockerfile = JSON.parse(parsed.stdout) as {
    instructions: { instruction: string; value: string }[];
    finalEnv: Record<string, string>;
  };
  const lastOf = (name: string) => dockerfile.instructions.filter((i) => i.instruction === name).at(-1)?.value ?? '';
  image = { entrypoint: JSON.parse(lastOf('ENTRYPOINT')), cmd: JSON.parse(lastOf('CMD')), env: dockerfile.finalEnv };
  healthcheck = JSON.parse(/CMD (\[.*\])$/.exec(lastOf('HEALTHCHECK'))?.[1] ?? '[]');
}, INSTALL_TIMEOUT_MS);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Local folders for the container's paths; /etc/autobyteus gets the rendered ConfigMap's files. */
function containerFolders(): Record<string, string> {
  const root = mkdtempSync(join(tmpdir(), 'autobyteus-container-'));
  const data = join(root, 'data');
  const config = join(root, 'etc-autobyteus');
  mkdirSync(data);
  mkdirSync(config);
  for (const [file, text] of Object.entries(chart.get('ConfigMap', FULL).data as Record<string, string>)) {
    writeFileSync(join(config, file), text);
  }
  return { '/app': REPO_ROOT, '/data': data, '/etc/autobyteus': config };
}

/** Starts `autobyteus-server ...` of a container process: the image's symlink is bin/autobyteus-server.js. */
async function startContainer(proc: ContainerProcess, port: number): Promise<ServerProcess> {
  expect(proc.argv.slice(0, 3)).toEqual(['tini', '--', 'autobyteus-server']);
  // The image's /usr/local/bin/autobyteus-server links to this entry, which loads dist/cli/main.js
  // (what startServerProcess runs).
  expect(existsSync(SERVER_BIN)).toBe(true);
  const [command, ...args] = proc.argv.slice(3);
  const env: Record<string, string> = {
    ...proc.env,
    AUTOBYTEUS_PORT: String(port),
    AUTOBYTEUS_DNS_SERVERS: `127.0.0.1:${await freePort()}`,
  };
  const home = env.AUTOBYTEUS_HOME;
  if (!home || !command) throw new Error(`no AUTOBYTEUS_HOME or command in ${JSON.stringify(proc)}`);
  return startServerProcess(home, args, env, command);
}

/** Runs a probe or health-check command (`node ...`) in the container's environment. */
function probe(command: string[], proc: ContainerProcess, port: number) {
  expect(command[0]).toBe('node');
  const env = cleanEnv(proc.env.AUTOBYTEUS_HOME as string, { ...proc.env, AUTOBYTEUS_PORT: String(port) });
  return runCommand([process.execPath, ...command.slice(1)], env);
}

describe('the rendered server container, run as processes', () => {
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('starts with the chart env and token, and its startup, readiness and liveness probes pass', async () => {
    const deployment = chart.get('Deployment', FULL);
    const spec = deployment.spec.template.spec;
    const rendered = spec.containers.find((c: K8sObject) => c.name === 'server');
    const folders = containerFolders();
    const proc = mapPaths(containerProcess(image, rendered, chart.objects), folders);
    // As the chart sets it: remote allowed, hosts external, the token from the Secret.
    expect(proc.env.ALLOW_REMOTE).toBe('true');
    expect(proc.env.AUTOBYTEUS_CONFIG).toBe(join(folders['/etc/autobyteus'] as string, 'config.toml'));
    const token = proc.env.AUTOBYTEUS_API_TOKEN as string;
    expect(token).toMatch(/^[A-Za-z0-9]{48}$/);

    const port = await freePort();
    server = await startContainer(proc, port);
    expect(server.url).toContain('0.0.0.0');
    // The token is required (remote rules), and a generated one is not written: the Secret's is used.
    expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(401);
    expect(existsSync(join(folders['/data'] as string, 'api-token'))).toBe(false);
    // The ConfigMap's config.toml was read (Ollama and LM Studio off: no localhost hosts probed).
    const health = await fetch(`http://127.0.0.1:${port}/api/health`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(health.status).toBe(200);
    const hosts = ((await health.json()) as { hosts: { runtime: string }[] }).hosts;
    expect(hosts.filter((h) => h.runtime === 'ollama' || h.runtime === 'lmstudio')).toEqual([]);

    for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const result = await probe(mapPaths({ argv: rendered[kind].exec.command, env: {} }, folders).argv, proc, port);
      expect(result.code, `${kind}: ${result.stderr}`).toBe(0);
    }
  });

  it('the probe fails on a wrong token and on a server that is gone', async () => {
    const folders = containerFolders();
    const rendered = chart.get('Deployment', FULL).spec.template.spec.containers[0];
    const proc = mapPaths(containerProcess(image, rendered, chart.objects), folders);
    const command = mapPaths({ argv: rendered.readinessProbe.exec.command, env: {} }, folders).argv;
    const port = Number(new URL((server as ServerProcess).url).port);

    const wrong = await probe(command, { ...proc, env: { ...proc.env, AUTOBYTEUS_API_TOKEN: 'wrong' } }, port);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('HTTP 401');

    await server?.stop();
    const gone = await probe(command, proc, port);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`127.0.0.1:${port}/api/health`);
  });
});

describe('the server image on its own (docker run, no chart)', () => {
  it('generates a token into /data/api-token, and the image HEALTHCHECK passes with it', async () => {
    expect(healthcheck).toEqual(['node', '/app/deploy/healthcheck.mjs']);
    const folders = containerFolders();
    const proc = mapPaths({ argv: [...image.entrypoint, ...image.cmd], env: { ...image.env } }, folders);
    delete proc.env.PATH;
    const port = await freePort();
    const server = await startContainer(
      { ...proc, env: { ...proc.env, AUTOBYTEUS_CONFIG: join(folders['/etc/autobyteus'] as string, 'config.toml') } },
      port,
    );
    try {
      const token = readFileSync(join(folders['/data'] as string, 'api-token'), 'utf8').trim();
      expect(server.output()).toContain(token);
      const check = mapPaths({ argv: healthcheck, env: {} }, folders).argv;
      const result = await probe(check, proc, port);
      expect(result.code, result.stderr).toBe(0);
      // Without the token file the same check is refused: it really authenticates.
      const elsewhere = await probe(check, { ...proc, env: { ...proc.env, AUTOBYTEUS_HOME: tmpdir() } }, port);
      expect(elsewhere.code).toBe(1);
      expect(elsewhere.stderr).toContain('HTTP 401');
    } finally {
      await server.stop();
    }
  });
});

describe('the model the chart serves is where `models pull` puts it', () => {
  it('the init container pull of the default ref lands at the llama-server --model path', async () => {
    // The test cache's home holds the pulled catalog model (scripts/prepare-test-engines.sh), so
    // this pull is the offline, sha256-checked reuse the init container does on a filled volume.
    const cache = process.env.AUTOBYTEUS_TEST_CACHE ?? join(process.env.HOME ?? '', '.cache', 'autobyteus-test');
    const home = join(cache, 'home');
    const llama = chart.get('Deployment', `${FULL}-llama`).spec.template.spec;
    const pull = llama.initContainers[0];
    const result = await runCli([...pull.args, '--json'], cleanEnv(home, { AUTOBYTEUS_HOME: home }));
    expect(result.code, `${result.stderr}\n(run scripts/prepare-test-engines.sh first)`).toBe(0);
    const pulled = (JSON.parse(result.stdout) as { path: string }).path;
    const args = llama.containers[0].args as string[];
    const modelPath = args[args.indexOf('--model') + 1] as string;
    expect(mapPaths({ argv: [modelPath], env: {} }, { '/data': home }).argv[0]).toBe(pulled);
  });
});
