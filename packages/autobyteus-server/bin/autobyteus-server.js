#!/usr/bin/env node
// Committed entry point, so `npm ci` can link the `autobyteus-server` command before the first build.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('autobyteus-server is not built yet: run `npm run build` in the repository first\n');
  process.exit(1);
}
await import(main.href);
