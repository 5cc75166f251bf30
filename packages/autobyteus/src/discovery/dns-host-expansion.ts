import { Resolver } from 'node:dns/promises';
import { isDnsHostEntry, normalizeHostUrl } from '../settings/host-url.js';

/** The lookups expansion needs; node's `dns.promises.Resolver` is one. */
export interface HostNameResolver {
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

/**
 * A resolver asking `servers` (`ip[:port]`; the system's resolvers when empty). It queries A and AAAA
 * records directly rather than going through `getaddrinfo`, which would return one address and
 * consult /etc/hosts: a headless Service's name stands for every pod behind it.
 */
export function createDnsResolver(servers: readonly string[], timeoutMs: number): HostNameResolver {
  // Two tries within the discovery bound, so one lost UDP datagram does not drop the whole pool.
  const resolver = new Resolver({ timeout: Math.max(1, Math.ceil(timeoutMs / 2)), tries: 2 });
  if (servers.length) resolver.setServers([...servers]);
  return resolver;
}

/** One host to probe, with the configured entry it came from (itself unless a `dns+` entry). */
export interface HostTarget {
  hostUrl: string;
  hostEntry: string;
}

/** A `dns+` entry that gave no host this time: reported as a host that is down, with `error`. */
export interface UnresolvedEntry {
  hostEntry: string;
  error: string;
}

/**
 * Turns configured host entries into hosts to probe. A plain URL is one host; a `dns+http://name:port`
 * (or `dns+https://`) entry becomes one `http://<address>:port` host per A and AAAA record of `name`,
 * IPv6 in brackets, looked up now (callers expand at every refresh, so pods that come and go join
 * and leave). Order follows the configuration, addresses sorted; a host reached twice is kept once.
 * Never throws: a name that does not resolve within `timeoutMs` becomes an {@link UnresolvedEntry}.
 */
export async function expandHostEntries(
  entries: readonly string[],
  resolver: () => HostNameResolver,
  timeoutMs: number,
): Promise<Array<HostTarget | UnresolvedEntry>> {
  const expanded = await Promise.all(
    entries.map(async (entry): Promise<Array<HostTarget | UnresolvedEntry>> => {
      if (!isDnsHostEntry(entry)) return [{ hostUrl: entry, hostEntry: entry }];
      const found = await resolveEntry(entry, resolver(), timeoutMs);
      return 'error' in found ? [found] : found.map((hostUrl) => ({ hostUrl, hostEntry: entry }));
    }),
  );
  const seen = new Set<string>();
  return expanded.flat().filter((item) => {
    if (!('hostUrl' in item)) return true;
    if (seen.has(item.hostUrl)) return false;
    seen.add(item.hostUrl);
    return true;
  });
}

/** True when `item` is a host to probe rather than an entry that did not resolve. */
export function isHostTarget(item: HostTarget | UnresolvedEntry): item is HostTarget {
  return 'hostUrl' in item;
}

async function resolveEntry(
  entry: string,
  resolver: HostNameResolver,
  timeoutMs: number,
): Promise<string[] | UnresolvedEntry> {
  const url = new URL(entry);
  const name = url.hostname;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const answers = await Promise.race([
      Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]),
      timedOut,
    ]);
    if (answers === 'timeout') {
      return { hostEntry: entry, error: `DNS name ${name}: no answer within the discovery timeout of ${timeoutMs} ms` };
    }
    const addresses = answers.flatMap((answer) => (answer.status === 'fulfilled' ? answer.value : []));
    if (addresses.length === 0) return { hostEntry: entry, error: describeFailure(name, answers) };
    const scheme = url.protocol.slice('dns+'.length);
    const port = url.port ? `:${url.port}` : '';
    const path = url.pathname === '/' ? '' : url.pathname;
    return [...new Set(addresses)]
      .sort()
      .map((address) =>
        normalizeHostUrl(`${scheme}//${address.includes(':') ? `[${address}]` : address}${port}${path}`),
      );
  } finally {
    clearTimeout(timer);
  }
}

/** Why a name gave no address: the resolver's code (ENOTFOUND, ESERVFAIL, ECONNREFUSED...) or no records. */
function describeFailure(name: string, answers: Array<PromiseSettledResult<string[]>>): string {
  const codes = answers
    .map((answer) => (answer.status === 'rejected' ? errorCode(answer.reason) : undefined))
    .filter((code): code is string => code !== undefined && code !== 'ENODATA');
  if (codes.length === 0) return `DNS name ${name} has no A or AAAA records`;
  return `DNS name ${name} does not resolve (${[...new Set(codes)].join(', ')})`;
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}
