import type { ApiClient } from './api-client.js';
import { el, table } from './dom.js';
import { bytes, duration, relative } from './format.js';
import { asArray, asObject, type Json, num, str } from './read-json.js';

/** When a loaded model unloads if left idle; `expiresAt` is null while pinned, kept forever, or busy. */
function expiry(ps: Json): string {
  if (ps.pinned === true) return 'pinned';
  if ((num(ps.inFlight) ?? 0) > 0) return 'busy';
  return relative(str(ps.expiresAt)) || 'never';
}

/**
 * `/api/models` and `/api/ps`: the local models with their state, Load (with keep_alive) and Unload,
 * then every model discovered on the hosts. Inputs are kept across refreshes so typing survives them.
 */
export class ModelsPanel {
  private readonly keepAliveInputs = new Map<string, HTMLInputElement>();
  private readonly busy = new Map<string, string>();
  private readonly messages = new Map<string, { text: string; error: boolean }>();
  private last: { local: Json[]; loaded: Map<string, Json>; remote: Json[] } | undefined;

  constructor(
    private readonly api: ApiClient,
    private readonly body: HTMLElement,
    private readonly changed: () => void,
  ) {}

  async refresh(): Promise<void> {
    const [models, ps] = await Promise.all([this.api.json('/api/models'), this.api.json('/api/ps')]);
    const loaded = new Map<string, Json>();
    for (const entry of asArray(asObject(ps).models).map(asObject)) loaded.set(str(entry.id) ?? '', entry);
    this.last = {
      local: asArray(asObject(models).local).map(asObject),
      loaded,
      remote: asArray(asObject(models).models).map(asObject),
    };
    this.render();
  }

  private render(): void {
    if (!this.last) return;
    const { local, loaded, remote } = this.last;
    const localRows = local.map((model) => this.localRow(model, loaded.get(str(model.id) ?? '')));
    const remoteRows = remote.map((model) =>
      el(
        'tr',
        { attrs: { 'data-model': str(model.identifier) ?? '' } },
        el('td', { class: 'mono' }, str(model.identifier)),
        el('td', {}, str(model.runtime)),
        el('td', { class: 'mono' }, str(model.host)),
        el(
          'td',
          {},
          el('span', { class: `badge ${str(model.availability)}` }, str(model.availability)),
          model.stale === true ? ' (stale)' : '',
        ),
      ),
    );
    this.body.replaceChildren(
      el('h3', {}, 'Local models (this server runs them on demand)'),
      localRows.length
        ? table(['Model', 'Engine', 'State', 'Size', 'Memory', 'keep_alive', 'Expires', 'Actions'], localRows)
        : el('p', { class: 'muted' }, 'No local models (set LLAMACPP_MANAGED=true or MLX_MANAGED=true and pull one).'),
      el('h3', {}, 'On the hosts'),
      remoteRows.length
        ? table(['Identifier', 'Runtime', 'Host', 'Availability'], remoteRows)
        : el('p', { class: 'muted' }, 'No models discovered on the configured hosts.'),
    );
  }

  private localRow(model: Json, ps: Json | undefined): HTMLTableRowElement {
    const id = str(model.id) ?? '';
    const state = str(ps?.state) ?? str(model.state) ?? 'unknown';
    const settings = asObject(model.settings);
    let input = this.keepAliveInputs.get(id);
    if (!input) {
      input = el('input', {
        class: 'keep-alive',
        attrs: { type: 'text', size: '6', placeholder: 'default', 'aria-label': `keep_alive for ${id}` },
        title: 'keep_alive for the load: 5m, 1h, 30s, 0 (unload after each request), -1 (never)',
      });
      this.keepAliveInputs.set(id, input);
    }
    const busy = this.busy.get(id);
    const message = this.messages.get(id);
    const keepAliveMs = num(ps?.keepAliveMs) ?? num(settings.keepAliveMs);
    return el(
      'tr',
      { attrs: { 'data-local-model': id } },
      el(
        'td',
        { class: 'mono' },
        id,
        asArray(model.names).length > 1
          ? el('div', { class: 'muted' }, asArray(model.names).map(String).slice(1).join(', '))
          : null,
      ),
      el('td', {}, str(model.engine)),
      el(
        'td',
        {},
        el('span', { class: `badge ${state}`, attrs: { 'data-state': state } }, busy ?? state),
        model.reason ? el('div', { class: 'error' }, str(model.reason)) : null,
      ),
      el('td', { class: 'num' }, bytes(num(model.sizeBytes))),
      el('td', { class: 'num' }, bytes(num(ps?.rssBytes) ?? num(ps?.estimatedBytes))),
      el('td', {}, keepAliveMs !== undefined ? duration(keepAliveMs) : 'default', ' ', input),
      el('td', { class: 'muted' }, ps ? expiry(ps) : ''),
      el(
        'td',
        {},
        el(
          'button',
          { attrs: { type: 'button', 'data-action': 'load' }, on: { click: () => void this.load(id) } },
          'Load',
        ),
        ' ',
        el(
          'button',
          {
            attrs: { type: 'button', 'data-action': 'unload', ...(ps ? {} : { disabled: '' }) },
            on: { click: () => void this.unload(id) },
          },
          'Unload',
        ),
        message ? el('div', { class: message.error ? 'error' : 'muted' }, message.text) : null,
      ),
    );
  }

  private async act(id: string, label: string, run: () => Promise<string>): Promise<void> {
    this.busy.set(id, label);
    this.messages.delete(id);
    this.render();
    try {
      this.messages.set(id, { text: await run(), error: false });
    } catch (error) {
      this.messages.set(id, { text: error instanceof Error ? error.message : String(error), error: true });
    } finally {
      this.busy.delete(id);
      await this.refresh().catch(() => this.render());
      this.changed();
    }
  }

  private load(id: string): Promise<void> {
    const keepAlive = this.keepAliveInputs.get(id)?.value.trim();
    return this.act(id, 'loading…', async () => {
      const answer = asObject(
        await this.api.post(`/api/models/${encodeURIComponent(id)}/load`, keepAlive ? { keep_alive: keepAlive } : {}),
      );
      const model = asObject(answer.model);
      return `loaded${num(model.loadMs) !== undefined ? ` in ${duration(num(model.loadMs))}` : ''}`;
    });
  }

  private unload(id: string): Promise<void> {
    return this.act(id, 'unloading…', async () => {
      const answer = asObject(await this.api.post(`/api/models/${encodeURIComponent(id)}/unload`));
      return answer.unloaded === true ? 'unloaded' : 'was not loaded';
    });
  }
}
