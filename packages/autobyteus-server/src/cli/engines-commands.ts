import type { Command } from 'commander';
import { registerDoctorCommand } from './engines/doctor-command.js';
import { registerInstallCommands } from './engines/install-commands.js';
import { registerListCommand } from './engines/list-command.js';
import { registerProcessCommands } from './engines/process-commands.js';
import { registerVersionCommands } from './engines/version-commands.js';

/** `engines ...`: doctor, list, install, upgrade, rollback, remove, start, stop, status. */
export function registerEnginesCommands(program: Command): void {
  const engines = program.command('engines').description('install, run and inspect local engines');
  registerDoctorCommand(engines);
  registerListCommand(engines);
  registerInstallCommands(engines);
  registerVersionCommands(engines);
  registerProcessCommands(engines);
}
