import type { Command } from 'commander';
import { createCliFactory } from '../app/create-factory.js';
import { resolveModel } from '../app/model-resolution.js';
import type { ServerConfig } from '../config/server-config.js';
import { cliContext, type GlobalOptions } from './cli-context.js';
import { loadAnswer, modelPath } from './models/answers.js';
import { callServer, ServerAnswerError, ServerNotRunningError, serverEndpoint } from './server-client.js';

/**
 * Loads `name` in the running server of this home; its id, or undefined when no server runs or it
 * has no such local model (other failures, such as a model that does not fit, are thrown).
 */
async function loadThroughServer(config: ServerConfig, name: string): Promise<string | undefined> {
  try {
    const { model } = await callServer(
      serverEndpoint(config),
      { method: 'POST', path: modelPath(name, 'load'), body: {}, timeoutMs: 15 * 60_000 },
      loadAnswer,
    );
    return model.id;
  } catch (error) {
    if (error instanceof ServerNotRunningError) return undefined;
    if (error instanceof ServerAnswerError && error.status === 404) return undefined;
    throw error;
  }
}

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
        let factory = createCliFactory(config, logger);
        await factory.ensureInitialized();
        let model = resolveModel(factory, modelArg);
        if (!model) {
          // A local model the running server has not loaded: ask it to, then talk to its engine.
          const loadedId = await loadThroughServer(config, modelArg);
          if (loadedId) {
            await factory.close();
            factory = createCliFactory(config, logger);
            await factory.ensureInitialized();
            model = resolveModel(factory, loadedId);
          }
        }
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
