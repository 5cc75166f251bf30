import { isIP } from 'node:net';
import { ValueRejected } from './value-rejected.js';

/** What a DNS server list must look like, for messages. */
export const DNS_SERVERS_EXPECTED =
  'comma-separated IP addresses, each with an optional port (1.1.1.1, 10.0.0.10:53, [::1]:5353)';

/**
 * Reads a DNS server list for `Resolver.setServers`: `ip`, `ip:port`, `[ipv6]:port` or a bare IPv6
 * address, comma-separated (or a list). Throws `ValueRejected` naming the bad entry.
 */
export function parseDnsServers(raw: unknown): string[] {
  if (typeof raw !== 'string' && !Array.isArray(raw)) throw new ValueRejected(DNS_SERVERS_EXPECTED);
  const entries = typeof raw === 'string' ? raw.split(',') : raw.map(String);
  const servers: string[] = [];
  for (const entry of entries.map((e) => e.trim()).filter(Boolean)) {
    if (!isDnsServer(entry)) throw new ValueRejected(`${DNS_SERVERS_EXPECTED} ("${entry}" is not one)`);
    servers.push(entry);
  }
  return servers;
}

function isDnsServer(entry: string): boolean {
  if (isIP(entry)) return true;
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(entry);
  if (!match) return false;
  const address = match[1] ?? match[2] ?? '';
  const port = Number(match[3]);
  const family = isIP(address);
  return port >= 1 && port <= 65535 && (match[1] ? family === 6 : family === 4);
}
