import type { ForwardedEndpoint, RuntimeDescriptor } from 'autobyteus';

/** What each runtime's engine serves itself, from the runtime table, read once (the gateway asks per request). */
export interface RuntimeCapabilities {
  /** True when `endpoint` is absent (plain chat) or the runtime's engine serves it. */
  serves(runtime: string, endpoint?: ForwardedEndpoint): boolean;
  /** The runtime's chat stream may be relayed as bytes (`chatStreamPassThrough`). */
  passesChatThrough(runtime: string): boolean;
  /** Human name for messages. */
  label(runtime: string): string;
}

/** The capabilities of the runtimes in `rows`. */
export function runtimeCapabilities(rows: readonly RuntimeDescriptor[]): RuntimeCapabilities {
  const endpoints = new Map(rows.map((row) => [row.runtime as string, new Set<string>(row.endpoints)]));
  const passThrough = new Set(rows.filter((row) => row.chatStreamPassThrough).map((row) => row.runtime as string));
  const labels = new Map(rows.map((row) => [row.runtime as string, row.label]));
  return {
    serves: (runtime, endpoint) => !endpoint || (endpoints.get(runtime)?.has(endpoint) ?? false),
    passesChatThrough: (runtime) => passThrough.has(runtime),
    label: (runtime) => labels.get(runtime) ?? runtime,
  };
}
