/**
 * Why a model could not be served, as typed errors the gateway and admin API turn into answers. Each
 * names the model; `status` and `code` are what the HTTP layer sends.
 */
export abstract class ModelServingError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  constructor(
    readonly model: string,
    message: string,
  ) {
    super(message);
  }
}

/** The name matches several models. */
export class AmbiguousModelError extends ModelServingError {
  override name = 'AmbiguousModelError';
  readonly status = 400;
  readonly code = 'ambiguous_model';
  constructor(
    model: string,
    readonly candidates: string[],
  ) {
    super(
      model,
      `The model name "${model}" matches ${candidates.length} models: ${candidates.join(', ')}. Use one of these ids.`,
    );
  }
}

/** The engine could not load the model: the engine's reason (its last output) is in the message. */
export class ModelLoadError extends ModelServingError {
  override name = 'ModelLoadError';
  readonly status = 500;
  readonly code = 'model_load_failed';
  constructor(model: string, engine: string, reason: string) {
    super(model, `${engine} could not load the model "${model}": ${reason}`);
  }
}

/** The model does not fit in the memory budget even after unloading every other unpinned model. */
export class InsufficientMemoryError extends ModelServingError {
  override name = 'InsufficientMemoryError';
  readonly status = 500;
  readonly code = 'insufficient_memory';
  constructor(
    model: string,
    reason: string,
    readonly neededBytes: number,
    readonly budgetBytes: number,
  ) {
    super(
      model,
      `Not loading "${model}": it ${reason}. Free memory, unpin or unload models (models ps / models unload), lower its ctx_size, or raise AUTOBYTEUS_MEMORY_BUDGET.`,
    );
  }
}

/** Every slot or the memory stayed held by busy models for the whole wait. */
export class ModelsBusyError extends ModelServingError {
  override name = 'ModelsBusyError';
  readonly status = 503;
  readonly code = 'models_busy';
  constructor(model: string, reason: string, waitedMs: number) {
    super(
      model,
      `Could not load "${model}" within ${Math.round(waitedMs / 1000)} s: ${reason}. Retry later or raise the engine's models_max.`,
    );
  }
}

/** The model's engine is not installed or not enabled. */
export class EngineUnavailableError extends ModelServingError {
  override name = 'EngineUnavailableError';
  readonly status = 503;
  readonly code = 'engine_unavailable';
}
