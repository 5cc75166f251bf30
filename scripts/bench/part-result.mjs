// How scripts/bench.mjs stores a part's result: bench-results/<part>.json with the machine it ran on.
import { machineInfo } from '../lib/machine.mjs';
import { writeResultFile } from '../lib/results.mjs';

/** Writes `{ part, machine, ...data }` to bench-results/<part>.json and says where. */
export function writePartResult(part, data) {
  const file = writeResultFile(part, { part, machine: machineInfo(), ...data });
  console.log(`\nwrote ${file}`);
}
