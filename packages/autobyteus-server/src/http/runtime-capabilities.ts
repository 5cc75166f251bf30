import type { ForwardedEndpoint, RuntimeDescriptor } from 'autobyteus';

/** What each runtime's engine serves itself, from the runtime table, read once (the gateway asks per request). */
export interface RuntimeCapabilities {
  /** True when `endpoint` is absent (plain chat) or the runtime's engine serves it. */
  serves(runtime: string, endpoint?: ForwardedEndpoint): boolean;
  /**
   * True when the runtime's engine lacks `endpoint` but the gateway translates it to chat
   * completions and back (`TRANSLATED_ENDPOINTS`; every runtime in the table serves chat).
   */
  translates(runtime: string, endpoint?: ForwardedEndpoint): boolean;
  /** The runtime's chat stream may be relayed as bytes (`chatStreamPassThrough`). */
  passesChatThrough(runtime: string): boolean;
  /** Human name for messages. */
  label(runtime: string): string;
}

/** Endpoints the gateway can answer over an engine's chat completions (see http/translate/). */
export const TRANSLATED_ENDPOINTS: ReadonlySet<ForwardedEndpoint> = new Set(['/v1/messages', '/v1/responses']);

/** The capabilities of the runtimes in `rows`. */
export function runtimeCapabilities(rows: readonly RuntimeDescriptor[]): RuntimeCapabilities {
  const endpoints = new Map(rows.map((row) => [row.runtime as string, new Set<string>(row.endpoints)]));
  const passThrough = new Set(rows.filter((row) => row.chatStreamPassThrough).map((row) => row.runtime as string));
  const labels = new Map(rows.map((row) => [row.runtime as string, row.label]));
  return {
    serves: (runtime, endpoint) => !endpoint || (endpoints.get(runtime)?.has(endpoint) ?? false),
    translates: (runtime, endpoint) =>
      endpoint !== undefined &&
      TRANSLATED_ENDPOINTS.has(endpoint) &&
      endpoints.has(runtime) &&
      !endpoints.get(runtime)?.has(endpoint),
    passesChatThrough: (runtime) => passThrough.has(runtime),
    label: (runtime) => labels.get(runtime) ?? runtime,
  };
}
