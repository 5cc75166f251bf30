import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createDnsResolver, expandHostEntries } from '../../src/discovery/dns-host-expansion.js';
import { LLMRuntime } from '../../src/llm/llm-runtime.js';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js';
import { factoryWith } from '../support/factory.js';
import { loadFixture } from '../support/fixtures.js';
import { replay, respond, type StubEngine, startStubEngine } from '../support/stub-engine.js';

// A real DNS server of our own on 127.0.0.1 (UDP) stands in for a Kubernetes headless Service: one name,
// one A record per pod. The "pods" are stub OpenAI-compatible servers on 127.0.0.2 and 127.0.0.3, the
// same port on different loopback addresses, as pods behind one Service are.
const stubs: StubEngine[] = [];
let dns: TestDnsServer | undefined;
afterEach(async () => {
  await Promise.all(stubs.splice(0).map((s) => s.close()));
  await dns?.close();
  dns = undefined;
});

/** A pod serving `model`; it records the Authorization header of each chat. */
async function pod(host: string, model: string, port?: number): Promise<StubEngine> {
  const stub = await startStubEngine(
    {
      '/v1/models': respond(200, 'application/json', JSON.stringify({ object: 'list', data: [{ id: model }] })),
      'POST /v1/chat/completions': replay(loadFixture('llama-cpp', 'chat')),
    },
    { host, port },
  );
  stubs.push(stub);
  return stub;
}

describe('dns+http:// host entries (Kubernetes headless Service discovery)', () => {
  it('expands to one host per A record at every refresh: pods join and leave', async () => {
    const first = await pod('127.0.0.2', 'pod-two');
    const second = await pod('127.0.0.3', 'pod-three', first.port);
    const port = first.port;
    dns = await startDnsServer({ 'llama.default.svc.cluster.local': { a: ['127.0.0.2', '127.0.0.3'] } });
    const entry = `dns+http://llama.default.svc.cluster.local:${port}`;
    const factory = factoryWith({ openAICompatibleHosts: entry, dnsServers: dns.address });

    await factory.ensureInitialized();
    expect(factory.listAvailableModels().map((m) => m.modelIdentifier)).toEqual([
      `pod-two:openai_compatible@127.0.0.2:${port}`,
      `pod-three:openai_compatible@127.0.0.3:${port}`,
    ]);
    expect(factory.getHostHealth().map((h) => [h.hostUrl, h.hostEntry, h.status])).toEqual([
      [`http://127.0.0.2:${port}`, entry, 'up'],
      [`http://127.0.0.3:${port}`, entry, 'up'],
    ]);
    expect(first.requests.map((r) => r.path)).toEqual(['/v1/models']);
    expect(second.requests.map((r) => r.path)).toEqual(['/v1/models']);

    // One pod goes away: the Service's name now answers only the other.
    dns.setRecords('llama.default.svc.cluster.local', { a: ['127.0.0.3'] });
    const result = await factory.reinitialize();
    expect(result.removed).toEqual([`pod-two:openai_compatible@127.0.0.2:${port}`]);
    expect(result.kept).toEqual([`pod-three:openai_compatible@127.0.0.3:${port}`]);
    expect(factory.getHostHealth().map((h) => h.hostUrl)).toEqual([`http://127.0.0.3:${port}`]);
    expect(first.requests).toHaveLength(1);

    // It comes back.
    dns.setRecords('llama.default.svc.cluster.local', { a: ['127.0.0.3', '127.0.0.2'] });
    expect((await factory.reinitialize()).added).toEqual([`pod-two:openai_compatible@127.0.0.2:${port}`]);
    expect(dns.queries.filter((q) => q === 'A llama.default.svc.cluster.local')).toHaveLength(3);
    await factory.close();
  });

  it('a name that does not resolve is a host reported down, naming the name; the others stay up', async () => {
    const plain = await pod('127.0.0.1', 'plain');
    dns = await startDnsServer({ 'empty.svc': {} });
    const factory = factoryWith({
      openAICompatibleHosts: `dns+http://gone.svc:8080,${plain.url},dns+http://empty.svc:8080`,
      dnsServers: dns.address,
    });
    await factory.ensureInitialized();
    const health = factory.getHostHealth();
    expect(health.map((h) => [h.hostUrl, h.status])).toEqual([
      ['dns+http://gone.svc:8080', 'down'],
      [plain.url, 'up'],
      ['dns+http://empty.svc:8080', 'down'],
    ]);
    expect(health[0]?.error).toBe('DNS name gone.svc does not resolve (ENOTFOUND)');
    expect(health[2]?.error).toBe('DNS name empty.svc has no A or AAAA records');
    expect(factory.listAvailableModels().map((m) => m.name)).toEqual(['plain']);
    await factory.close();
  });

  it('works in any host list, AAAA records become bracketed IPv6 hosts, and the entry’s key covers its pods', async () => {
    const v4 = await startStubEngine({
      '/v1/models': respond(200, 'application/json', '{"data":[{"id":"studio-model"}]}'),
    });
    stubs.push(v4);
    const v6 = await pod('::1', 'pod-v6');
    dns = await startDnsServer({
      'studio.lan': { a: ['127.0.0.1'] },
      'pool.svc': { aaaa: ['::1'] },
    });
    const poolEntry = `dns+http://pool.svc:${v6.port}`;
    const factory = factoryWith({
      lmStudioHosts: `dns+http://studio.lan:${v4.port}`,
      openAICompatibleHosts: poolEntry,
      openAICompatibleApiKey: 'key-for-everyone',
      openAICompatibleApiKeys: { [poolEntry]: 'key-for-the-pool' },
      dnsServers: dns.address,
    });
    await factory.ensureInitialized();
    expect(factory.listAvailableModels().map((m) => m.modelIdentifier)).toEqual([
      `studio-model:lmstudio@127.0.0.1:${v4.port}`,
      `pod-v6:openai_compatible@[::1]:${v6.port}`,
    ]);
    const model = factory.listAvailableModels().find((m) => m.runtime === LLMRuntime.OPENAI_COMPATIBLE)!;
    expect(model.hostUrl).toBe(`http://[::1]:${v6.port}`);
    expect(model.metadata.hostEntry).toBe(poolEntry);
    expect(await factory.createLLM(model.modelIdentifier).complete('hi')).not.toBe('');
    expect(v6.requests.map((r) => [r.path, r.headers.authorization])).toEqual([
      ['/v1/models', 'Bearer key-for-the-pool'],
      ['/v1/chat/completions', 'Bearer key-for-the-pool'],
    ]);
    await factory.close();
  });

  it('expandHostEntries keeps configuration order, sorts addresses, and probes a host reached twice once', async () => {
    dns = await startDnsServer({ 'pool.svc': { a: ['127.0.0.3', '127.0.0.2'], aaaa: ['::1'] } });
    const resolver = createDnsResolver([dns.address], 2000);
    const targets = await expandHostEntries(
      ['http://127.0.0.2:9000', 'dns+https://pool.svc:9000/base', 'dns+http://pool.svc'],
      () => resolver,
      2000,
    );
    expect(targets).toEqual([
      { hostUrl: 'http://127.0.0.2:9000', hostEntry: 'http://127.0.0.2:9000' },
      { hostUrl: 'https://127.0.0.2:9000/base', hostEntry: 'dns+https://pool.svc:9000/base' },
      { hostUrl: 'https://127.0.0.3:9000/base', hostEntry: 'dns+https://pool.svc:9000/base' },
      { hostUrl: 'https://[::1]:9000/base', hostEntry: 'dns+https://pool.svc:9000/base' },
      { hostUrl: 'http://127.0.0.2', hostEntry: 'dns+http://pool.svc' },
      { hostUrl: 'http://127.0.0.3', hostEntry: 'dns+http://pool.svc' },
      { hostUrl: 'http://[::1]', hostEntry: 'dns+http://pool.svc' },
    ]);
  });

  it('a DNS server that never answers, or is not there, makes the entry down instead of holding discovery', async () => {
    // A bound UDP socket that reads and never replies: every query is lost, as on a partitioned network.
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    // And a port nobody listens on (the kernel refuses the datagram).
    dns = await startDnsServer();
    const closed = dns.address;
    await dns.close();
    dns = undefined;
    try {
      const cases = [
        [`127.0.0.1:${silent.address().port}`, 'DNS name slow.svc: no answer within the discovery timeout of 300 ms'],
        [closed, 'DNS name slow.svc does not resolve (ECONNREFUSED)'],
      ];
      for (const [server, error] of cases) {
        const factory = factoryWith({
          openAICompatibleHosts: 'dns+http://slow.svc:8080',
          dnsServers: server,
          discoveryTimeoutMs: 300,
        });
        await factory.ensureInitialized();
        const [health] = factory.getHostHealth();
        expect(health?.status).toBe('down');
        expect(health?.error).toBe(error);
        await factory.close();
      }
    } finally {
      silent.close();
    }
  });
});
