// The recorder's command line: `--key value` pairs plus two flags, checked in the order the usage
// text (scripts/record-fixtures.mjs --help) describes them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { die } from './log.mjs';

const FLAGS = new Set(['help', 'print-tool-template']);

/** `--key value` pairs (and the flags --help, --print-tool-template) as an object; dies on anything else. */
export function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) die(`unexpected argument: ${a}`);
    const key = a.slice(2);
    if (FLAGS.has(key)) {
      out[key] = true;
      continue;
    }
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) die(`option --${key} needs a value`);
    out[key] = v;
    i++;
  }
  return out;
}

/**
 * The engine, output folder, server to spawn (or null for --base), port and log folder; dies when a
 * required option is missing. The log folder defaults to a new temp folder.
 */
export function resolveOptions(args) {
  const engine = args.engine;
  if (engine !== 'llama-cpp' && engine !== 'mlx') die('--engine must be llama-cpp or mlx');
  if (!args.out) die('--out DIR is required');
  const out = path.resolve(args.out);
  const spawnBin = engine === 'llama-cpp' ? args['spawn-llama-server'] : args['spawn-mlx-server'];
  if (!spawnBin && !args.base) die('give --base URL (a running server) or --spawn-llama-server/--spawn-mlx-server');
  if (spawnBin && !args['model-path']) die('--model-path is required with --spawn-*');
  const port = Number(args.port ?? (engine === 'llama-cpp' ? 18080 : 18001));
  const logDir = args['log-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'record-fixtures-'));
  return { engine, out, spawnBin, port, logDir };
}
