import type { Command } from 'commander';
import { chooseLlamaBuild, type LlamaBackendSetting } from '../../engines/platform/choose-llama-build.js';
import { describePlatform } from '../../engines/platform/describe-platform.js';
import { detectPlatform } from '../../engines/platform/detect-platform.js';
import { cliContext, type GlobalOptions } from '../cli-context.js';
import { printJson } from '../output.js';

/** `engines doctor`: what this machine has and which llama.cpp build fits it, and why. */
export function registerDoctorCommand(engines: Command): void {
  engines
    .command('doctor')
    .description('show what this machine has and which llama.cpp build fits it, and why')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { config } = cliContext(command.optsWithGlobals<GlobalOptions>());
      const platform = await detectPlatform();
      const choice = chooseLlamaBuild(platform, config.values.LLAMACPP_BACKEND as LlamaBackendSetting);
      if (options.json) return printJson({ platform, llamaCpp: choice });
      for (const line of describePlatform(platform)) console.log(line);
      console.log(
        `\nllama.cpp (LLAMACPP_BACKEND=${config.values.LLAMACPP_BACKEND}): ${choice.backend}, ${choice.method === 'release' ? `release asset ${choice.asset}` : 'source build'}`,
      );
      for (const reason of choice.reasons) console.log(`  - ${reason}`);
      if (choice.cmakeFlags.length) console.log(`  CMake flags: ${choice.cmakeFlags.join(' ')}`);
    });
}
