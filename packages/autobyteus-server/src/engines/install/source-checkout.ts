import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CommandNotFoundError, outputTail, runCommand } from './run-command.js';
import { safeExtract } from './safe-extract.js';

/** Where llama.cpp source comes from. */
export type SourceSpec =
  /** A git repository (URL or path) at a branch, tag or commit. */
  | { kind: 'git'; url: string; ref: string }
  /** A llama.cpp checkout already on disk; built out of tree, never modified. */
  | { kind: 'checkout'; path: string }
  /** A git bundle file (`git bundle create`). */
  | { kind: 'bundle'; path: string }
  /** An npm package carrying llama.cpp as `llama/gitRelease.bundle` (node-llama-cpp does), e.g. `node-llama-cpp@3.21.1`. */
  | { kind: 'npm-tarball'; spec: string };

/** Source ready to build. */
export interface PreparedSource {
  dir: string;
  /** What the build cache keys on (see buildCacheKey); null = do not cache (uncommitted changes). */
  identity: string | null;
}

/** One line naming a source, for receipts and logs. */
export function describeSource(spec: SourceSpec): string {
  switch (spec.kind) {
    case 'git':
      return `git ${spec.url}#${spec.ref}`;
    case 'checkout':
      return `checkout ${resolve(spec.path)}`;
    case 'bundle':
      return `bundle ${resolve(spec.path)}`;
    case 'npm-tarball':
      return `npm ${spec.spec}`;
  }
}

/**
 * The build-cache identity when it is known without fetching anything: an exact
 * `node-llama-cpp@x.y.z` (the version alone) or a git
 * source pinned to a full commit. Lets a cached build be reused offline.
 */
export function identityBeforeFetch(spec: SourceSpec): string | null {
  if (spec.kind === 'npm-tarball') {
    const match = /^node-llama-cpp@(\d+\.\d+\.\d+(?:-[\w.]+)?)$/.exec(spec.spec);
    return match?.[1] ?? null;
  }
  if (spec.kind === 'git' && /^[0-9a-f]{40}$/.test(spec.ref)) return `git:${spec.ref}`;
  return null;
}

function refuseOption(value: string, what: string): void {
  // Values starting with '-' would be read by git/npm as options.
  if (value.startsWith('-')) throw new Error(`invalid ${what} "${value}"`);
}

async function git(args: string[], options: { cwd?: string; onOutput?: (line: string) => void; signal?: AbortSignal }) {
  let result: Awaited<ReturnType<typeof runCommand>>;
  try {
    result = await runCommand('git', args, {
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.onOutput ? { onLine: options.onOutput } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      // Never stop to ask for credentials: fail instead.
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
  } catch (error) {
    if (error instanceof CommandNotFoundError) throw new Error('git is not on PATH: install git to build from source');
    throw error;
  }
  if (result.code !== 0) throw new Error(`git ${args[0]} failed:\n${outputTail(result, 15)}`);
  return result.stdout.trim();
}

async function headCommit(dir: string): Promise<string> {
  return git(['rev-parse', 'HEAD'], { cwd: dir });
}

/**
 * Gets the source into `workDir/src` (or points at a checkout in place) and names its identity.
 * Git sources are fetched shallow (one commit) when the server allows it.
 */
export async function prepareSource(
  spec: SourceSpec,
  workDir: string,
  options: { onOutput?: (line: string) => void; signal?: AbortSignal } = {},
): Promise<PreparedSource> {
  const src = join(workDir, 'src');
  switch (spec.kind) {
    case 'checkout': {
      const dir = resolve(spec.path);
      const entries = await readdir(dir).catch(() => {
        throw new Error(`source checkout ${dir} does not exist`);
      });
      if (!entries.includes('CMakeLists.txt'))
        throw new Error(`${dir} has no CMakeLists.txt: not a llama.cpp checkout`);
      try {
        const commit = await headCommit(dir);
        const dirty = await git(['status', '--porcelain', '--untracked-files=no'], { cwd: dir });
        return { dir, identity: dirty ? null : `checkout:${commit}` };
      } catch {
        return { dir, identity: null };
      }
    }
    case 'bundle': {
      const bundle = resolve(spec.path);
      await git(['clone', '--quiet', bundle, src], options);
      return { dir: src, identity: `bundle:${await headCommit(src)}` };
    }
    case 'git': {
      refuseOption(spec.url, 'git URL');
      refuseOption(spec.ref, 'git ref');
      await git(['init', '--quiet', src], options);
      try {
        await git(['fetch', '--quiet', '--depth', '1', spec.url, spec.ref], { ...options, cwd: src });
      } catch {
        // Some servers refuse shallow fetches of a bare commit: fetch everything instead.
        await git(['fetch', '--quiet', '--tags', spec.url, '+refs/heads/*:refs/remotes/origin/*'], {
          ...options,
          cwd: src,
        });
        await git(['checkout', '--quiet', spec.ref], { ...options, cwd: src });
        return { dir: src, identity: `git:${await headCommit(src)}` };
      }
      await git(['checkout', '--quiet', 'FETCH_HEAD'], { ...options, cwd: src });
      return { dir: src, identity: `git:${await headCommit(src)}` };
    }
    case 'npm-tarball':
      return prepareNpmTarball(spec.spec, workDir, src, options);
  }
}

async function prepareNpmTarball(
  spec: string,
  workDir: string,
  src: string,
  options: { onOutput?: (line: string) => void; signal?: AbortSignal },
): Promise<PreparedSource> {
  refuseOption(spec, 'npm package spec');
  options.onOutput?.(`fetching ${spec} from the npm registry (npm pack)`);
  // npm pack runs in (and writes to) the work folder, which nothing has created yet.
  await mkdir(workDir, { recursive: true });
  let packed: Awaited<ReturnType<typeof runCommand>>;
  try {
    // npm pack downloads the tarball without installing it (and without its prebuilt binaries).
    packed = await runCommand('npm', ['pack', '--silent', '--pack-destination', workDir, spec], {
      cwd: workDir,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (error instanceof CommandNotFoundError) throw new Error(`npm is not on PATH: needed to fetch ${spec}`);
    throw error;
  }
  if (packed.code !== 0) throw new Error(`npm pack ${spec} failed:\n${outputTail(packed, 15)}`);
  const tarball = join(workDir, packed.stdout.trim().split('\n').at(-1) ?? '');
  const unpacked = join(workDir, 'package-files');
  const wanted = new Set(['package/package.json', 'package/llama/gitRelease.bundle']);
  await safeExtract(tarball, unpacked, { only: (path) => wanted.has(path.replace(/^\.\//, '')) });
  const bundle = join(unpacked, 'package', 'llama', 'gitRelease.bundle');
  const pkg = JSON.parse(await readFile(join(unpacked, 'package', 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  await git(['clone', '--quiet', bundle, src], options).catch((error: Error) => {
    throw new Error(`${spec} carries no usable llama/gitRelease.bundle: ${error.message}`);
  });
  return { dir: src, identity: pkg.name === 'node-llama-cpp' ? pkg.version : `${pkg.name}@${pkg.version}` };
}
