import type { ApiClient } from './api-client.js';
import { el, table } from './dom.js';
import { asArray, asObject, num, str } from './read-json.js';

/** The CLI's engine names for the runtimes it installs. */
const ENGINE_NAMES: Record<string, string> = { llama_cpp: 'llama-cpp', mlx: 'mlx' };

/**
 * `/api/engines`: every runtime with its hosts' versions and a managed engine's process. The admin
 * API has no install, upgrade or rollback endpoint (they build or download engines and swap the
 * active version on disk), so the panel names the CLI commands instead of offering buttons.
 */
export class EnginesPanel {
  constructor(
    private readonly api: ApiClient,
    private readonly body: HTMLElement,
  ) {}

  async refresh(): Promise<void> {
    const engines = asArray(asObject(await this.api.json('/api/engines')).engines).map(asObject);
    const rows = engines.map((engine) => {
      const runtime = str(engine.runtime) ?? '';
      const process = asObject(engine.process);
      const hosts = asArray(engine.hosts).map(asObject);
      const cli = ENGINE_NAMES[runtime];
      return el(
        'tr',
        { attrs: { 'data-engine': runtime } },
        el('td', {}, str(engine.label) ?? runtime),
        el('td', {}, engine.enabled === true ? 'enabled' : 'disabled'),
        el(
          'td',
          {},
          engine.managed === true
            ? `managed: ${str(process.state) ?? 'unknown'}${num(process.pid) ? ` (pid ${num(process.pid)})` : ''}${num(process.restarts) ? `, ${num(process.restarts)} restarts` : ''}`
            : 'external',
          process.lastError ? el('div', { class: 'error' }, str(process.lastError)) : null,
        ),
        el(
          'td',
          {},
          ...hosts.map((host) =>
            el(
              'div',
              { class: 'mono' },
              `${str(host.url)} — ${str(host.status)}${str(host.version) ? `, ${str(host.version)}` : ''}, ${num(host.models) ?? 0} models`,
            ),
          ),
        ),
        el(
          'td',
          { class: 'mono muted' },
          cli ? `autobyteus-server engines upgrade ${cli}` : '',
          cli ? el('br') : null,
          cli ? `autobyteus-server engines rollback ${cli}` : '',
        ),
      );
    });
    this.body.replaceChildren(
      table(['Engine', 'Enabled', 'Process', 'Hosts and versions', 'Upgrade / rollback (CLI)'], rows),
      el(
        'p',
        { class: 'muted' },
        "Upgrades and rollbacks change the engine installed in this server's home; the admin API does not offer them, so run them with the CLI on the server machine (then restart the engine with `engines stop` / `engines start`, or restart the server).",
      ),
    );
  }
}
