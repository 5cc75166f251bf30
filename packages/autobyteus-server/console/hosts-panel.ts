import type { ApiClient } from './api-client.js';
import { el, table } from './dom.js';
import { duration, relative } from './format.js';
import { asArray, asObject, num, str } from './read-json.js';
import { Series, sparkline } from './sparkline.js';

/** The latency history kept per host, in memory for as long as the page is open. */
const HISTORY = 60;

/** `/api/health`: every host with status, latency (and its history), models, breaker and requests in flight. */
export class HostsPanel {
  private readonly latency = new Map<string, Series>();

  constructor(
    private readonly api: ApiClient,
    private readonly body: HTMLElement,
    private readonly onServer: (version: string, uptimeSeconds: number) => void,
  ) {}

  async refresh(): Promise<void> {
    const health = asObject(await this.api.json('/api/health'));
    this.onServer(str(health.version) ?? '?', num(health.uptimeSeconds) ?? 0);
    const hosts = asArray(health.hosts).map(asObject);
    const rows = hosts.map((host) => {
      const key = `${str(host.runtime)}@${str(host.hostUrl)}`;
      let series = this.latency.get(key);
      if (!series) {
        series = new Series(HISTORY);
        this.latency.set(key, series);
      }
      const latency = num(host.latencyMs);
      if (latency !== undefined) series.push(latency);
      const status = str(host.status) ?? 'unknown';
      const breaker = str(asObject(host.breaker).state) ?? str(host.breaker) ?? '';
      return el(
        'tr',
        { attrs: { 'data-host': key } },
        el('td', {}, str(host.runtime)),
        el('td', { class: 'mono' }, str(host.hostUrl)),
        el(
          'td',
          {},
          el('span', { class: `badge ${status}` }, status),
          host.error ? el('div', { class: 'error' }, str(host.error)) : null,
        ),
        el('td', { class: 'num' }, duration(latency)),
        el('td', {}, sparkline(series.values, `latency history of ${key}`)),
        el('td', { class: 'num' }, num(host.modelCount) ?? ''),
        el('td', {}, breaker),
        el('td', { class: 'num' }, num(host.inFlight) ?? ''),
        el('td', { class: 'muted' }, relative(str(host.lastChecked))),
      );
    });
    this.body.replaceChildren(
      hosts.length
        ? table(['Runtime', 'Host', 'Status', 'Latency', 'History', 'Models', 'Breaker', 'In flight', 'Checked'], rows)
        : el('p', { class: 'muted' }, 'No hosts configured (LLAMACPP_HOSTS, MLX_HOSTS, …).'),
    );
  }
}
