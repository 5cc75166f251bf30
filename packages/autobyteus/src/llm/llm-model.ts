import type { LLMConfig } from './llm-config.js';
import type { LLMProvider } from './llm-provider.js';
import type { LLMRuntime } from './llm-runtime.js';

/**
 * Whether the model can be called right now: `served` (the host lists it and answers),
 * `loading` (llama.cpp router: being loaded), `unloaded` (router knows it, loads on first request),
 * `available` (on disk only, e.g. an MLX folder in the Hugging Face cache while its host is down),
 * `failed` (the engine could not load it).
 */
export type ModelAvailability = 'served' | 'loading' | 'unloaded' | 'available' | 'failed';

/** Facts an engine reports beyond the generation config; shown by the server, never sent. */
export interface ModelMetadata {
  /** llama.cpp `/props.build_info`, e.g. `b1-80fb11a`. */
  buildInfo?: string;
  chatTemplate?: string;
  totalSlots?: number;
  modalities?: Record<string, boolean>;
  /** Local folder or file the model comes from, when known. */
  localPath?: string;
  ownedBy?: string;
  /**
   * The configured `dns+http://name:port` entry this model's host was resolved from; absent for hosts
   * configured by URL. Its per-host API key covers the host.
   */
  hostEntry?: string;
  [key: string]: unknown;
}

export interface LLMModelInit {
  /** Display name, e.g. `SmolLM2-135M-Instruct`. */
  name: string;
  /** The value sent as the request's `model` field. */
  value: string;
  canonicalName?: string;
  provider: LLMProvider;
  runtime: LLMRuntime;
  /** Normalised origin of the host, e.g. `http://localhost:8000`. */
  hostUrl: string;
  defaultConfig?: LLMConfig;
  metadata?: ModelMetadata;
  availability?: ModelAvailability;
  stale?: boolean;
}

/** One registered model on one host. Identified by `name:runtime@host:port`. */
export class LLMModel {
  readonly name: string;
  readonly value: string;
  readonly canonicalName: string;
  readonly provider: LLMProvider;
  readonly runtime: LLMRuntime;
  readonly hostUrl: string;
  readonly defaultConfig: LLMConfig;
  readonly metadata: ModelMetadata;
  readonly availability: ModelAvailability;
  /** True when the host failed its last refresh and this entry is the last good one. */
  readonly stale: boolean;
  readonly modelIdentifier: string;

  constructor(init: LLMModelInit) {
    this.name = init.name;
    this.value = init.value;
    this.canonicalName = init.canonicalName ?? canonicalModelName(init.name);
    this.provider = init.provider;
    this.runtime = init.runtime;
    this.hostUrl = init.hostUrl;
    this.defaultConfig = { ...init.defaultConfig };
    this.metadata = { ...init.metadata };
    this.availability = init.availability ?? 'served';
    this.stale = init.stale ?? false;
    this.modelIdentifier = modelIdentifier(this.name, this.runtime, this.hostUrl);
  }

  /** A copy with some fields changed (the registry uses it to mark stale entries). */
  with(changes: Partial<LLMModelInit>): LLMModel {
    return new LLMModel({ ...this.toInit(), ...changes });
  }

  toInit(): LLMModelInit {
    return {
      name: this.name,
      value: this.value,
      canonicalName: this.canonicalName,
      provider: this.provider,
      runtime: this.runtime,
      hostUrl: this.hostUrl,
      defaultConfig: this.defaultConfig,
      metadata: this.metadata,
      availability: this.availability,
      stale: this.stale,
    };
  }

  toJSON(): Record<string, unknown> {
    return { modelIdentifier: this.modelIdentifier, ...this.toInit() };
  }
}

/** `name:runtime@host:port`; the host part has no scheme so identifiers stay readable. */
export function modelIdentifier(name: string, runtime: LLMRuntime, hostUrl: string): string {
  const url = new URL(hostUrl);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${name}:${runtime}@${url.hostname}:${port}`;
}

/** Lower-case name without folder, file extension or quantization suffix: groups one model across hosts. */
export function canonicalModelName(name: string): string {
  const base = name.split('/').pop() ?? name;
  return base
    .replace(/\.gguf$/i, '')
    .replace(/[-._](q\d[\w]*|f16|f32|bf16|\d+bit)$/i, '')
    .toLowerCase();
}
