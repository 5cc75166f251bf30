import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CommandNotFoundError,
  runCommand,
  WorkingDirectoryMissingError,
} from '../../src/engines/install/run-command.js';

// spawn reports a missing program and a missing working folder with the same ENOENT; the
// installers turn CommandNotFoundError into "<tool> is not on PATH", so the two must differ.
describe('runCommand start failures', () => {
  it('a working folder that does not exist is named as such, not as a missing program', async () => {
    const cwd = join(mkdtempSync(join(tmpdir(), 'autobyteus-run-')), 'not-yet-created');
    const error = await runCommand('npm', ['--version'], { cwd }).catch((e) => e);
    expect(error).toBeInstanceOf(WorkingDirectoryMissingError);
    expect(error).not.toBeInstanceOf(CommandNotFoundError);
    expect(error.message).toBe(`npm could not be started: its working folder ${cwd} does not exist`);
  });

  it('a program that does not exist is CommandNotFoundError, with or without a cwd', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'autobyteus-run-'));
    for (const options of [{}, { cwd }]) {
      const error = await runCommand('autobyteus-no-such-program', [], options).catch((e) => e);
      expect(error).toBeInstanceOf(CommandNotFoundError);
      expect(error.message).toMatch(
        /^autobyteus-no-such-program could not be started: spawn autobyteus-no-such-program ENOENT/,
      );
    }
  });
});
