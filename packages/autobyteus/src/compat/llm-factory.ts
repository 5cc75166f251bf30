import type { LLMProvider } from '../llm/llm-provider.js';
import type { LLMRuntime } from '../llm/llm-runtime.js';
import { LLMFactory as CoreLLMFactory } from '../registry/llm-factory.js';
import type { BaseLLM } from './base-llm.js';
import { LLMConfig, type LLMConfigInput } from './llm-config.js';
import { LLMModel } from './llm-model.js';
import { LocalEngineLLM } from './local-engine-llm.js';
import { compatIdentifierOf } from './model-identifier.js';
import { type ModelInfo, toModelInfo } from './model-info.js';
import { findModel, requireModel } from './model-lookup.js';

let current: CoreLLMFactory | undefined;
let owned = false;

/** The factory in use: the injected one, else one built from the environment on first use. */
function factory(): CoreLLMFactory {
  if (!current) {
    current = new CoreLLMFactory();
    owned = true;
  }
  return current;
}

async function registered() {
  const core = factory();
  await core.ensureInitialized();
  return core.listAvailableModels();
}

const byIdentifier = (a: ModelInfo, b: ModelInfo) => a.model_identifier.localeCompare(b.model_identifier);

/**
 * autobyteus-ts's static `LLMFactory`, over ONE instance of our {@link CoreLLMFactory}: discovery,
 * registry and transport are the library's; this class only changes the shape (static, async,
 * snake_case `ModelInfo`, `name:runtime@host` identifiers).
 *
 * By default the instance is built on first use from the environment (`LLAMACPP_HOSTS`,
 * `MLX_HOSTS`, ...). A server or test that builds its own factory (its settings, logger, HTTP
 * client) hands it over with {@link LLMFactory.use} before the first call.
 */
export class LLMFactory {
  private constructor() {}

  /**
   * Makes every static call use `instance` (e.g. the server's factory, or a test's with stub hosts).
   * The caller keeps owning it; a factory built here from the environment is closed.
   */
  static use(instance: CoreLLMFactory): void {
    if (current === instance) return;
    const previous = owned ? current : undefined;
    current = instance;
    owned = false;
    // Nothing waits on the old pool; closing it only frees its idle sockets.
    previous?.close().catch(() => {});
  }

  /** The factory the static calls use (for the parts of our API the compat shape has no name for). */
  static instance(): CoreLLMFactory {
    return factory();
  }

  /** Forgets the factory in use (closing it only if it was built here); the next call builds anew. */
  static async resetForTests(): Promise<void> {
    const previous = current;
    const close = owned;
    current = undefined;
    owned = false;
    if (previous && close) await previous.close();
  }

  /** Discovers the models of every configured host once; later and concurrent calls share that run. */
  static async ensureInitialized(): Promise<void> {
    await factory().ensureInitialized();
  }

  /** Probes every host again; a host that fails keeps its last good models (marked stale). */
  static async reinitialize(): Promise<void> {
    await factory().reinitialize();
  }

  /**
   * An LLM for a model, by compat identifier, our `name:runtime@host:port` identifier, or a model
   * name only one host serves. `llmConfig` is merged over the model's defaults.
   */
  static async createLLM(modelIdentifier: string, llmConfig?: LLMConfig | LLMConfigInput): Promise<BaseLLM> {
    const core = factory();
    const model = requireModel(await registered(), modelIdentifier);
    const view = new LLMModel(model);
    const config = view.defaultConfig.clone();
    if (llmConfig) config.mergeWith(LLMConfig.from(llmConfig));
    return new LocalEngineLLM(view, config, core.createLLMFor(model));
  }

  /** Every registered model, sorted by identifier. */
  static async listAvailableModels(): Promise<ModelInfo[]> {
    return (await registered()).map(toModelInfo).sort(byIdentifier);
  }

  static async listModelsByProvider(provider: LLMProvider): Promise<ModelInfo[]> {
    return (await LLMFactory.listAvailableModels()).filter((info) => info.provider_type === provider);
  }

  static async listModelsByRuntime(runtime: LLMRuntime): Promise<ModelInfo[]> {
    return (await LLMFactory.listAvailableModels()).filter((info) => info.runtime === runtime);
  }

  /** The canonical name of a model (identifier only, as in autobyteus-ts), or null. */
  static async getCanonicalName(modelIdentifier: string): Promise<string | null> {
    const model = (await registered()).find(
      (m) => m.modelIdentifier === modelIdentifier || compatIdentifierOf(m) === modelIdentifier,
    );
    return model?.canonicalName ?? null;
  }

  /** The provider of a model by identifier or unique name, or null; an ambiguous name throws. */
  static async getProvider(modelIdentifier: string): Promise<LLMProvider | null> {
    return findModel(await registered(), modelIdentifier)?.provider ?? null;
  }

  /**
   * Rediscovers the hosts of every runtime `provider` runs on and returns how many models it now
   * has (hosts that failed keep their last good models). A provider with no runtime here: its
   * current count, unchanged.
   */
  static async reloadModels(provider: LLMProvider): Promise<number> {
    const core = factory();
    await core.ensureInitialized();
    const runtimes = core.getRuntimes().filter((row) => row.provider === provider);
    await Promise.all(runtimes.map((row) => core.reinitialize({ runtime: row.runtime })));
    return core.listAvailableModels().filter((model) => model.provider === provider).length;
  }
}
