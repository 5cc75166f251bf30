import type { Command } from 'commander';
import { createCliFactory } from '../app/create-factory.js';
import { resolveModel } from '../app/model-resolution.js';
import { cliContext, type GlobalOptions } from './cli-context.js';

/** `chat <model> "<prompt>"`: streams one reply to the terminal. */
export function registerChatCommand(program: Command): void {
  program
    .command('chat')
    .description('stream one chat reply from a model (identifier or unique name)')
    .argument('<model>', 'model identifier (name:runtime@host:port) or a name registered on one host')
    .argument('<prompt>', 'the user message')
    .option('--max-tokens <n>', 'most tokens to generate', '512')
    .option('--temperature <t>', 'sampling temperature')
    .action(
      async (
        modelArg: string,
        prompt: string,
        options: { maxTokens: string; temperature?: string },
        command: Command,
      ) => {
        const { config, logger } = cliContext(command.optsWithGlobals<GlobalOptions>());
        const factory = createCliFactory(config, logger);
        await factory.ensureInitialized();
        const model = resolveModel(factory, modelArg);
        if (!model) {
          const known = factory.listAvailableModels().map((m) => `  ${m.modelIdentifier}`);
          await factory.close();
          throw new Error(
            `unknown model "${modelArg}". Registered models:\n${known.join('\n') || '  (none: is an engine running?)'}`,
          );
        }
        const llm = factory.createLLM(model.modelIdentifier, {
          maxTokens: Number(options.maxTokens),
          ...(options.temperature !== undefined ? { temperature: Number(options.temperature) } : {}),
        });
        const controller = new AbortController();
        process.once('SIGINT', () => controller.abort());
        try {
          for await (const chunk of llm.streamMessages([{ role: 'user', content: prompt }], {
            signal: controller.signal,
          })) {
            if (chunk.content) process.stdout.write(chunk.content);
            if (chunk.isComplete) {
              const usage = chunk.usage ? `${chunk.usage.completionTokens} tokens` : 'no usage reported';
              process.stderr.write(`\n[${chunk.finishReason ?? 'done'}; ${usage}]\n`);
            }
          }
        } finally {
          await factory.close();
        }
      },
    );
}
