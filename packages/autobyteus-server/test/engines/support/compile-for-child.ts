import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const REPO = join(import.meta.dirname, '..', '..', '..', '..', '..');
const SERVER_SRC = join(REPO, 'packages', 'autobyteus-server', 'src');

/**
 * Child processes run plain Node, which cannot load TypeScript: this transpiles the given source
 * folders and files (relative to the server's src/) into a temp folder with the same layout, and links the
 * repository's node_modules beside it so zod and the other dependencies resolve. Returns the folder.
 */
export function compileForChild(folders: string[]): string {
  const out = mkdtempSync(join(tmpdir(), 'autobyteus-child-'));
  symlinkSync(join(REPO, 'node_modules'), join(out, 'node_modules'));
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  for (const folder of folders) {
    const dir = join(SERVER_SRC, folder);
    // A single file (`home-layout.ts`) is taken as it is.
    const names = dir.endsWith('.ts') ? [''] : (readdirSync(dir, { recursive: true }) as string[]);
    for (const name of names) {
      const source = join(dir, name);
      if (!source.endsWith('.ts')) continue;
      const js = ts.transpileModule(readFileSync(source, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      const target = join(out, relative(SERVER_SRC, source)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, js);
    }
  }
  return out;
}
