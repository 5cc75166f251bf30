import { describe, expect, it } from 'vitest';
import {
  ENGINE_STATES,
  EngineStateMachine,
  IllegalTransitionError,
  isValidTransition,
} from '../../../src/engines/process/engine-state-machine.js';
import type { EngineState } from '../../../src/engines/process/engine-status.js';

/** The life cycle the manager documents, written out independently of the table under test. */
const LEGAL = new Set([
  'stopped→starting',
  'starting→ready',
  'starting→failed',
  'starting→stopping',
  'starting→stopped',
  'ready→starting',
  'ready→failed',
  'ready→stopping',
  'ready→stopped',
  'stopping→stopped',
  'failed→starting',
  'failed→stopping',
  'failed→stopped',
]);

/** Legal moves from a fresh (stopped) machine to each state. */
const PATH_TO: Record<EngineState, EngineState[]> = {
  stopped: [],
  starting: ['starting'],
  ready: ['starting', 'ready'],
  stopping: ['starting', 'ready', 'stopping'],
  failed: ['starting', 'failed'],
};

function machineIn(state: EngineState): EngineStateMachine {
  const machine = new EngineStateMachine('llama-cpp');
  for (const step of PATH_TO[state]) machine.transition(step);
  expect(machine.state).toBe(state);
  return machine;
}

const ALL: EngineState[] = ['stopped', 'starting', 'ready', 'stopping', 'failed'];
const PAIRS = ALL.flatMap((from) => ALL.map((to) => ({ from, to, legal: LEGAL.has(`${from}→${to}`) })));

describe('engine state transition table', () => {
  it('covers exactly the five states', () => {
    expect([...ENGINE_STATES].sort()).toEqual([...ALL].sort());
  });

  it.each(PAIRS.filter((p) => p.legal))('accepts $from → $to', ({ from, to }) => {
    const machine = machineIn(from);
    expect(isValidTransition(from, to)).toBe(true);
    expect(machine.transition(to)).toBe(from);
    expect(machine.state).toBe(to);
  });

  it.each(PAIRS.filter((p) => !p.legal))('refuses $from → $to and stays in $from', ({ from, to }) => {
    const machine = machineIn(from);
    expect(isValidTransition(from, to)).toBe(false);
    let thrown: unknown;
    try {
      machine.transition(to);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(IllegalTransitionError);
    expect(thrown).toMatchObject({ engine: 'llama-cpp', from, to });
    expect((thrown as Error).message).toContain(`llama-cpp engine: illegal state change ${from} → ${to}`);
    expect(machine.state).toBe(from);
  });
});
