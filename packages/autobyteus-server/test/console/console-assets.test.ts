import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONSOLE_ASSETS } from '../../src/console/register-console.js';

// The served list is fixed in register-console.ts; the built folder must hold exactly those files
// (a module left out of the list would 401 in the browser, a stale extra one would be dead weight).
const BUILT = join(import.meta.dirname, '..', '..', 'dist', 'console', 'web');

describe('console assets', () => {
  it('the allow-list names exactly the files the build puts in dist/console/web (plus index.html)', () => {
    expect(readdirSync(BUILT).sort()).toEqual([...CONSOLE_ASSETS, 'index.html'].sort());
  });

  it('every module import in the built code names an allowed asset', () => {
    for (const name of CONSOLE_ASSETS.filter((n) => n.endsWith('.js'))) {
      const code = readFileSync(join(BUILT, name), 'utf8');
      for (const match of code.matchAll(/from '\.\/([^']+)'/g)) expect(CONSOLE_ASSETS, name).toContain(match[1]);
    }
  });

  it('the page has no inline script or style (the CSP forbids them)', () => {
    const html = readFileSync(join(BUILT, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(html).not.toMatch(/https?:\/\//);
  });
});
