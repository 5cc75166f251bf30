import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import { safeExtract, UnsafeArchiveError } from '../../src/engines/install/safe-extract.js';
import { buildTarGz, buildZip, type RawEntry } from './support/archive-builder.js';

/** A sandbox: `outer/` holds the archive and the target `outer/box/target`; anything landing in `outer` outside target is an escape. */
function sandbox() {
  const outer = mkdtempSync(join(tmpdir(), 'autobyteus-extract-'));
  mkdirSync(join(outer, 'box'));
  return { outer, target: join(outer, 'box', 'target') };
}

function write(outer: string, name: string, data: Buffer): string {
  const path = join(outer, name);
  writeFileSync(path, data);
  return path;
}

const listAll = (dir: string): string[] => (readdirSync(dir, { recursive: true }) as string[]).sort();

describe('safeExtract refuses unsafe archives before writing anything', () => {
  const cases: Array<[string, RawEntry[], RegExp]> = [
    [
      'a ../ path',
      [
        { path: 'ok.txt', content: 'ok' },
        { path: '../evil', content: 'x' },
      ],
      /entry "\.\.\/evil" contains '\.\.' and would land outside/,
    ],
    ['a nested ../ path', [{ path: 'a/../../evil', content: 'x' }], /entry "a\/\.\.\/\.\.\/evil" contains '\.\.'/],
    [
      'an absolute path',
      [{ path: '/tmp/autobyteus-evil-abs', content: 'x' }],
      /entry "\/tmp\/autobyteus-evil-abs" is an absolute path/,
    ],
    [
      'a symlink to /etc',
      [{ path: 'etc', type: 'symlink', linkpath: '/etc' }],
      /entry "etc" is a symbolic link to the absolute path "\/etc"/,
    ],
    [
      'a relative symlink out',
      [{ path: 'd/up', type: 'symlink', linkpath: '../../..' }],
      /entry "d\/up" is a symbolic link to "\.\.\/\.\.\/\.\.", outside the target/,
    ],
    [
      'a chain of links that climbs out',
      [
        { path: 'a/b/up', type: 'symlink', linkpath: '../..' },
        { path: 'x', type: 'symlink', linkpath: 'a/b/up/..' },
      ],
      /entry "x" is a symbolic link whose target "a\/b\/up\/\.\." passes through another symbolic link/,
    ],
    [
      'a file written through a link',
      [
        { path: 'link', type: 'symlink', linkpath: 'sub' },
        { path: 'link/file', content: 'x' },
      ],
      /entry "link\/file" would be written through the symbolic link "link"/,
    ],
    [
      'a hardlink out',
      [{ path: 'h', type: 'hardlink', linkpath: '../../etc/passwd' }],
      /entry "h" is a hard link to "\.\.\/\.\.\/etc\/passwd", outside/,
    ],
    [
      'a hardlink to a symlink',
      [
        { path: 's', type: 'symlink', linkpath: 'f' },
        { path: 'h', type: 'hardlink', linkpath: 's' },
      ],
      /entry "h" is a hard link through the symbolic link "s"/,
    ],
    ['a FIFO', [{ path: 'pipe', type: 'fifo' }], /entry "pipe" is a FIFO, which is not allowed/],
  ];

  it.each(cases)('tar.gz with %s', async (_name, entries, message) => {
    const { outer, target } = sandbox();
    const archive = write(outer, 'evil.tar.gz', buildTarGz(entries));
    const error = await safeExtract(archive, target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect((error as Error).message).toMatch(/^refusing to extract evil\.tar\.gz: /);
    expect((error as Error).message).toMatch(message);
    expect(listAll(target)).toEqual([]);
    expect(listAll(outer)).toEqual(['box', 'box/target', 'evil.tar.gz']);
    expect(existsSync('/tmp/autobyteus-evil-abs')).toBe(false);
  });

  const zipCases: Array<[string, RawEntry[], RegExp]> = [
    [
      'a ../ path',
      [
        { path: 'ok.txt', content: 'ok' },
        { path: '../evil', content: 'x' },
      ],
      /entry "\.\.\/evil" contains '\.\.'/,
    ],
    ['a backslash ..\\ path', [{ path: '..\\evil', content: 'x' }], /entry "\.\.\/evil" contains '\.\.'/],
    ['an absolute path', [{ path: '/tmp/autobyteus-evil-zip', content: 'x' }], /is an absolute path/],
    ['a drive-letter path', [{ path: 'C:/Windows/evil', content: 'x' }], /is an absolute path/],
    [
      'a symlink to /etc',
      [{ path: 'etc', type: 'symlink', linkpath: '/etc' }],
      /symbolic link to the absolute path "\/etc"/,
    ],
    ['a relative symlink out', [{ path: 'up', type: 'symlink', linkpath: '../x' }], /outside the target folder/],
  ];

  it.each(zipCases)('zip with %s', async (_name, entries, message) => {
    const { outer, target } = sandbox();
    const archive = write(outer, 'evil.zip', buildZip(entries));
    const error = await safeExtract(archive, target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect((error as Error).message).toMatch(/^refusing to extract evil\.zip: /);
    expect((error as Error).message).toMatch(message);
    expect(listAll(target)).toEqual([]);
    expect(listAll(outer)).toEqual(['box', 'box/target', 'evil.zip']);
  });

  it('bounds the entry count and the total size (configurable)', async () => {
    const { outer, target } = sandbox();
    const many = Array.from({ length: 30 }, (_, i) => ({ path: `f${i}`, content: 'x' }));
    const tgz = write(outer, 'many.tar.gz', buildTarGz(many));
    await expect(safeExtract(tgz, target, { maxEntries: 20 })).rejects.toThrow(/more than 20 entries/);
    const zip = write(outer, 'many.zip', buildZip(many));
    await expect(safeExtract(zip, target, { maxEntries: 20 })).rejects.toThrow(/more than 20 entries/);
    const big = write(outer, 'big.tar.gz', buildTarGz([{ path: 'big', content: Buffer.alloc(1_000_000) }]));
    await expect(safeExtract(big, target, { maxTotalBytes: 500_000 })).rejects.toThrow(/more than 500000 bytes/);
    const bigZip = write(outer, 'big.zip', buildZip([{ path: 'big', content: Buffer.alloc(1_000_000) }]));
    await expect(safeExtract(bigZip, target, { maxTotalBytes: 500_000 })).rejects.toThrow(/more than 500000 bytes/);
    expect(listAll(target)).toEqual([]);
  });

  it('says when a file is not an archive at all', async () => {
    const { outer, target } = sandbox();
    const junk = write(outer, 'junk.tar.gz', Buffer.from('this is not an archive'));
    await expect(safeExtract(junk, target)).rejects.toThrow(/neither a gzip-compressed tar .* nor a \.zip archive/);
  });
});

describe('safeExtract extracts ordinary archives', () => {
  const good: RawEntry[] = [
    { path: 'llama-b1/', type: 'dir' },
    { path: 'llama-b1/llama-server', content: '#!/bin/sh\n', mode: 0o755 },
    { path: 'llama-b1/libllama.so.0', content: 'lib' },
    { path: 'llama-b1/libllama.so', type: 'symlink', linkpath: 'libllama.so.0' },
    { path: 'llama-b1/docs/../README', content: 'fine?' },
  ];

  it('tar.gz: files, modes and inside symlinks', async () => {
    const { outer, target } = sandbox();
    const entries = good.filter((e) => !e.path.includes('..'));
    const archive = write(outer, 'good.tar.gz', buildTarGz(entries));
    const result = await safeExtract(archive, target);
    expect(result.format).toBe('tar.gz');
    expect(readFileSync(join(target, 'llama-b1', 'libllama.so.0'), 'utf8')).toBe('lib');
    expect(statSync(join(target, 'llama-b1', 'llama-server')).mode & 0o111).not.toBe(0);
    expect(lstatSync(join(target, 'llama-b1', 'libllama.so')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(target, 'llama-b1', 'libllama.so'))).toBe('libllama.so.0');
  });

  it('zip: files, modes and inside symlinks', async () => {
    const { outer, target } = sandbox();
    const entries = good.filter((e) => !e.path.includes('..'));
    const archive = write(outer, 'good.zip', buildZip(entries));
    const result = await safeExtract(archive, target);
    expect(result.format).toBe('zip');
    expect(readFileSync(join(target, 'llama-b1', 'llama-server'), 'utf8')).toBe('#!/bin/sh\n');
    expect(statSync(join(target, 'llama-b1', 'llama-server')).mode & 0o111).not.toBe(0);
    expect(readlinkSync(join(target, 'llama-b1', 'libllama.so'))).toBe('libllama.so.0');
  });

  it('a tarball made by node-tar from a real folder, with only= filtering', async () => {
    const { outer, target } = sandbox();
    const src = join(outer, 'src');
    mkdirSync(join(src, 'package', 'llama'), { recursive: true });
    writeFileSync(join(src, 'package', 'package.json'), '{}');
    writeFileSync(join(src, 'package', 'llama', 'gitRelease.bundle'), 'bundle');
    writeFileSync(join(src, 'package', 'other.js'), '');
    const archive = join(outer, 'pkg.tgz');
    await tar.c({ gzip: true, file: archive, cwd: src }, ['package']);
    await safeExtract(archive, target, { only: (p) => p === 'package/llama/gitRelease.bundle' });
    expect(listAll(target)).toEqual(['package', 'package/llama', 'package/llama/gitRelease.bundle']);
  });

  it('refuses a non-empty target', async () => {
    const { outer, target } = sandbox();
    mkdirSync(target);
    writeFileSync(join(target, 'x'), '');
    const archive = write(outer, 'a.tar.gz', buildTarGz([{ path: 'a', content: 'a' }]));
    await expect(safeExtract(archive, target)).rejects.toThrow(/is not empty/);
  });
});
