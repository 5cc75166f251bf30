import { ValueRejected } from 'autobyteus';

/** What `LLAMACPP_RPC_SERVERS` must look like, for messages. */
export const RPC_SERVERS_EXPECTED =
  'host:port entries of llama.cpp RPC workers, comma-separated (e.g. 192.168.1.10:50052,[fd00::2]:50052)';

/** A host name or IPv4 address, or an IPv6 address in brackets, then `:port`. */
const HOST_PORT = /^(?:(\[[0-9a-fA-F:.]+\])|([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)):(\d{1,5})$/;

/**
 * Checks the RPC workers llama-server is handed with `--rpc` (LLAMACPP_RPC_SERVERS): every entry
 * `host:port` (an IPv6 host in brackets), entries split on commas as well, so the environment's
 * `a:1,b:2` and config.toml's `["a:1", "b:2"]` read the same. Returns the entries trimmed, empty
 * ones dropped; throws ValueRejected naming the first bad entry.
 */
export function parseRpcServers(list: readonly string[]): string[] {
  const entries = list
    .flatMap((item) => item.split(','))
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const match = HOST_PORT.exec(entry);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65535) {
      throw new ValueRejected(`${RPC_SERVERS_EXPECTED}; "${entry}" is not host:port`);
    }
  }
  return entries;
}
