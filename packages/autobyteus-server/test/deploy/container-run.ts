import { execFile } from 'node:child_process';
import type { K8sObject } from './rendered-chart.js';

/** What an image says about how to run it (from the parsed Dockerfile's final stage). */
export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
}

/** A container's process as Kubernetes would start it: argv and environment. */
export interface ContainerProcess {
  argv: string[];
  env: Record<string, string>;
}

/**
 * The process Kubernetes starts for a rendered container on an image: `command` replaces the
 * ENTRYPOINT (and drops CMD), `args` replaces CMD; the container's env overrides the image's ENV.
 * `value` entries are taken as they are, `secretKeyRef` ones from the rendered Secrets (a missing
 * optional key leaves the variable unset, a missing required one throws, as the kubelet refuses
 * to start the container). PATH stays the host's.
 */
export function containerProcess(image: ImageConfig, container: K8sObject, secrets: K8sObject[]): ContainerProcess {
  const argv = container.command
    ? [...container.command, ...(container.args ?? [])]
    : [...image.entrypoint, ...(container.args ?? image.cmd)];
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(image.env)) if (name !== 'PATH') env[name] = value;
  for (const entry of (container.env ?? []) as K8sObject[]) {
    if (entry.value !== undefined) {
      env[entry.name] = String(entry.value);
      continue;
    }
    const ref = entry.valueFrom?.secretKeyRef;
    if (!ref) throw new Error(`env ${entry.name}: only value and secretKeyRef are resolved here`);
    const secret = secrets.find((s) => s.kind === 'Secret' && s.metadata.name === ref.name);
    const encoded = secret?.data?.[ref.key];
    if (encoded === undefined) {
      if (ref.optional === true) continue;
      throw new Error(`env ${entry.name}: Secret ${ref.name} has no key ${ref.key}`);
    }
    env[entry.name] = Buffer.from(encoded, 'base64').toString();
  }
  return { argv, env };
}

/** Replaces container paths (`/data`, `/app`, ...) by local folders, in every argument and value. */
export function mapPaths(proc: ContainerProcess, paths: Record<string, string>): ContainerProcess {
  const map = (text: string) => {
    for (const [from, to] of Object.entries(paths)) {
      if (text === from || text.startsWith(`${from}/`)) return to + text.slice(from.length);
    }
    return text;
  };
  return {
    argv: proc.argv.map(map),
    env: Object.fromEntries(Object.entries(proc.env).map(([k, v]) => [k, map(v)])),
  };
}

/** Runs a command to completion with exactly this environment; resolves with its exit code and output. */
export function runCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(argv[0] as string, argv.slice(1), { env, cwd, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
