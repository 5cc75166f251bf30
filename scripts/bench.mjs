// Benchmarks of the built autobyteus library, each one a side-by-side comparison in one run
// (alternating repetitions, medians), because the machine is small, shared and noisy.
//
//   npm run bench                         # all parts (builds the library first)
//   npm run bench -- --only discovery     # or stream, tokens; a comma list works too
//   node scripts/bench.mjs --only stream --rounds 7
//
// Parts (one file each under scripts/bench/):
//   discovery  100 llama.cpp hosts (60 healthy stubs, 20 that hang, 20 refusing): parallel discovery
//              through LLMFactory vs the same hosts probed one after another.
//   stream     100,000-chunk SSE body from a stub in a child process: our transport vs the openai SDK.
//   tokens     real llama-server + SmolLM2-135M, 256 tokens: LlamaCppLLM.streamMessages vs curl.
//
// Results: a table per part on stdout and bench-results/<part>.json.
import { parseArgs } from 'node:util';
import { benchDiscovery } from './bench/discovery.mjs';
import { benchStream } from './bench/stream.mjs';
import { benchTokens } from './bench/tokens.mjs';
import { ChildProcesses } from './lib/child-processes.mjs';
import { positiveInt } from './lib/cli-options.mjs';
import { machineInfo } from './lib/machine.mjs';

const BENCHES = { discovery: benchDiscovery, stream: benchStream, tokens: benchTokens };
const PARTS = Object.keys(BENCHES);

const { values: options } = parseArgs({
  options: {
    only: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    chunks: { type: 'string', default: '100000' },
    'discovery-timeout': { type: 'string', default: '1000' },
    'engine-wait-s': { type: 'string', default: '600' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (options.help) {
  console.log(
    'usage: node scripts/bench.mjs [--only discovery|stream|tokens[,...]] [--rounds 5] [--chunks 100000]\n' +
      '                             [--discovery-timeout 1000] [--engine-wait-s 600]',
  );
  process.exit(0);
}
const selected = options.only
  ? options.only
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  : PARTS;
for (const part of selected) {
  if (!PARTS.includes(part)) {
    console.error(`unknown part "${part}"; choose from ${PARTS.join(', ')}`);
    process.exit(2);
  }
}
const rounds = positiveInt('rounds', options.rounds);
// Every engine and stub a part starts is killed on any exit, so an error never leaves one running.
const children = new ChildProcesses().killOnExit();

const m = machineInfo();
console.log(`autobyteus bench: ${m.cpuModel}, ${m.cores} cores, ${m.ramGiB} GiB RAM, Node ${m.node}, ${m.date}`);
let failed = false;
for (const part of PARTS.filter((p) => selected.includes(p))) {
  try {
    await BENCHES[part]({ options, rounds, children });
  } catch (error) {
    failed = true;
    console.error(`\n${part} FAILED: ${error?.stack ?? error}`);
  }
}
children.killAll();
process.exit(failed ? 1 : 0);
