// Gateway speed, side by side in one run (issue 11): a stub llama.cpp engine in its own process, and on
// it three targets measured in alternating rounds: the engine directly, our gateway (the built
// `autobyteus-server serve` as a child process) and the LiteLLM proxy (1 worker, from PyPI in a venv).
//   npm run build && node scripts/bench-gateway.mjs [--only paced,flat,memory] [--skip-litellm] [--rounds N]
// Parts (default: paced, flat, memory):
//   paced:  64 tokens 2 ms apart; added time to first token (p50, p99) and tokens/s ratio at 1 and 16 streams.
//   flat:   256 tokens in one write; tokens/s ratio vs direct at 1, 16 and 64 streams.
//   memory: RSS of each server after 128 concurrent flat-out streams.
// Each figure is the median over the rounds of its per-round value (ratios and added TTFT against the
// direct target of the same round). Results in bench-results/gateway-stub.json.
// GATEWAY_NODE_ARGS adds node flags for the gateway (e.g. --cpu-prof), GATEWAY_LOG_LEVEL its LOG_LEVEL.

import { agent } from './bench/gateway-client.mjs';
import { printReport } from './bench/gateway-report.mjs';
import { memoryAfterBurst, runRounds, summarise } from './bench/gateway-rounds.mjs';
import { liteLLMVersion, startGateway, startLiteLLM, startStub } from './bench/gateway-targets.mjs';
import { ChildProcesses, stopChild } from './lib/child-processes.mjs';
import { positiveInt } from './lib/cli-options.mjs';
import { machineInfo } from './lib/machine.mjs';
import { writeResultFile } from './lib/results.mjs';

const PARTS = ['paced', 'flat', 'memory'];
const args = process.argv.slice(2);
const option = (name) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined);
const parts = option('only')?.split(',') ?? PARTS;
for (const part of parts) {
  if (!PARTS.includes(part)) {
    console.error(`--only takes a comma-separated list of ${PARTS.join(', ')}; got ${part}`);
    process.exit(2);
  }
}
const rounds = positiveInt('rounds', option('rounds') ?? '3');
const withLiteLLM = !args.includes('--skip-litellm');

const children = new ChildProcesses().killOnExit();
const stub = await startStub(children);
const servers = [];
try {
  const gateway = await startGateway(children, stub.url);
  servers.push(gateway);
  if (withLiteLLM) servers.push(await startLiteLLM(children, stub.url));
  const targets = [stub.target, ...servers.map((s) => s.target)];
  const machine = machineInfo();
  console.log(`${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadavgAtStart.join(' ')}`);
  const phases = parts.filter((p) => p !== 'memory');
  const perRound = phases.length ? await runRounds(stub, targets, { rounds, phases }) : [];
  const summary = perRound.length
    ? summarise(
        perRound,
        targets.map((t) => t.name),
      )
    : {};
  const memory = parts.includes('memory')
    ? await memoryAfterBurst(
        stub,
        servers.map((s) => s.target),
      )
    : undefined;
  const result = {
    machine: { ...machine, loadavgAtEnd: (await import('node:os')).loadavg().map((x) => +x.toFixed(2)) },
    litellm: withLiteLLM ? liteLLMVersion() : null,
    rounds,
    parts,
    summary,
    memory,
    perRound,
  };
  writeResultFile('gateway-stub', result);
  printReport(result);
} finally {
  for (const server of servers) await stopChild(server.child, { graceMs: 3000 });
  await stopChild(stub.child, { graceMs: 2000 });
  await agent.close();
}
