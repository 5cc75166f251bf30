import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { writeFakeLlamaServer } from '../engines/support/fake-llama.js';

/** The Linux x64 CPU asset name of a llama.cpp release (what LLAMACPP_BACKEND=cpu picks here). */
export const linuxCpuAsset = (tag: string) => `llama-${tag}-bin-ubuntu-x64.tar.gz`;

/**
 * A release archive shaped like the official ones (`llama-<tag>/llama-server`) holding the stand-in
 * llama-server, which answers `--version` as build `build`: enough for the smoke test without a model.
 */
export async function fakeLlamaRelease(tag: string, build: number): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'autobyteus-release-'));
  mkdirSync(join(dir, `llama-${tag}`));
  writeFakeLlamaServer(join(dir, `llama-${tag}`), { build });
  const file = join(dir, 'release.tar.gz');
  await tar.c({ gzip: true, file, cwd: dir, portable: true }, [`llama-${tag}`]);
  return readFileSync(file);
}
