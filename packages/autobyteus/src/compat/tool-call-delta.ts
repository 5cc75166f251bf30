import type { ToolCallDelta as CoreToolCallDelta } from '../transport/chat-types.js';

/**
 * One fragment of a tool call as it streams, keyed by `index`: the first fragment of a call carries
 * `call_id` and `name`, later ones only `arguments_delta` (JSON text to append).
 */
export interface ToolCallDelta {
  index: number;
  call_id?: string | null;
  name?: string | null;
  arguments_delta?: string | null;
}

export function toToolCallDelta(delta: CoreToolCallDelta): ToolCallDelta {
  return {
    index: delta.index,
    call_id: delta.id,
    name: delta.name,
    arguments_delta: delta.argumentsDelta || undefined,
  };
}
