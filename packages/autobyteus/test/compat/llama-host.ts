import { LLMFactory } from '../../src/compat/llm-factory.js';
import type { LLMFactory as CoreLLMFactory } from '../../src/registry/llm-factory.js';
import { factoryWith } from '../support/factory.js';
import { loadFixture } from '../support/fixtures.js';
import { replay, respond, type StubEngine, type StubHandler, startStubEngine } from '../support/stub-engine.js';

/** `/props` as recorded, with the vision modality switched on (a llama-server started with --mmproj). */
function visionProps(): StubHandler {
  const props = loadFixture('llama-cpp', 'props');
  const body = JSON.parse(props.response.body) as { modalities: Record<string, boolean> };
  body.modalities = { ...body.modalities, vision: true };
  return respond(200, 'application/json; charset=utf-8', JSON.stringify(body));
}

/** A stub llama-server replaying the recorded discovery answers, `chat` for chat completions. */
export function startLlamaHost(options: { chat?: StubHandler; vision?: boolean } = {}): Promise<StubEngine> {
  return startStubEngine({
    '/health': replay(loadFixture('llama-cpp', 'health')),
    '/v1/models': replay(loadFixture('llama-cpp', 'models')),
    '/props': options.vision ? visionProps() : replay(loadFixture('llama-cpp', 'props')),
    ...(options.chat ? { 'POST /v1/chat/completions': options.chat } : {}),
  });
}

const created: CoreLLMFactory[] = [];

/** Points the static compat facade at a core factory for `hosts` (llama.cpp) and returns it. */
export function useFactoryFor(...hosts: StubEngine[]): CoreLLMFactory {
  const factory = factoryWith({ llamaCppHosts: hosts.map((host) => host.url).join(',') });
  created.push(factory);
  LLMFactory.use(factory);
  return factory;
}

/** Closes the factories `useFactoryFor` made and detaches the facade from them. */
export async function closeFactories(): Promise<void> {
  await LLMFactory.resetForTests();
  await Promise.all(created.splice(0).map((factory) => factory.close()));
}

/** The JSON bodies of the chat requests a stub received. */
export function chatBodies(host: StubEngine): Array<Record<string, unknown>> {
  return host.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => JSON.parse(r.body));
}
