import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeCmakeProject } from './fake-cmake-project.js';

/** The version the fixture npm package claims; never a real node-llama-cpp release, so no cache key collides. */
export const FIXTURE_NPM_VERSION = '0.0.0-autobyteus-fixture';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' }).trim();

/**
 * The tiny CMake tree (fakeCmakeProject: a `llama-server` target that answers `--version` with
 * `version: 0.4.0-dev (build <build>, commit abc1234)` on stderr) as a git repository with one
 * commit, tagged v1.
 */
export function fixtureRepo(build = 9): { dir: string; commit: string } {
  const dir = fakeCmakeProject({ build });
  git(dir, 'init', '-q');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'fake llama');
  git(dir, 'tag', 'v1');
  return { dir, commit: git(dir, 'rev-parse', 'HEAD') };
}

/** The fixture repository as a git bundle file (`git bundle create --all`), the form node-llama-cpp ships. */
export function fixtureBundle(build = 9): { path: string; commit: string } {
  const repo = fixtureRepo(build);
  const path = join(mkdtempSync(join(tmpdir(), 'autobyteus-bundle-')), 'src.bundle');
  git(repo.dir, 'bundle', 'create', '-q', path, '--all');
  return { path, commit: repo.commit };
}

/**
 * An npm package tarball shaped like node-llama-cpp's where the installer looks: `package/package.json`
 * (name node-llama-cpp) and `package/llama/gitRelease.bundle`, plus a file the installer must not
 * need. `npm pack <this path>` accepts it, so the installer's npm route runs offline against it.
 */
export function fixtureNpmTarball(build = 9): string {
  const root = mkdtempSync(join(tmpdir(), 'autobyteus-npm-fixture-'));
  const pkg = join(root, 'package');
  mkdirSync(join(pkg, 'llama'), { recursive: true });
  writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({ name: 'node-llama-cpp', version: FIXTURE_NPM_VERSION, main: 'index.js' }),
  );
  writeFileSync(join(pkg, 'index.js'), 'module.exports = {};\n');
  const bundle = fixtureBundle(build);
  execFileSync('cp', [bundle.path, join(pkg, 'llama', 'gitRelease.bundle')]);
  const tarball = join(root, `node-llama-cpp-${FIXTURE_NPM_VERSION}.tgz`);
  execFileSync('tar', ['-czf', tarball, '-C', root, 'package']);
  return tarball;
}

/** A fresh, empty build cache folder. */
export function emptyBuildCache(): string {
  return mkdtempSync(join(tmpdir(), 'autobyteus-build-cache-'));
}
