import type { ApiClient } from './api-client.js';
import { el, table } from './dom.js';
import { jobProgress, jobStateBadge, LIVE_POLL_MS, liveJob } from './job-view.js';
import { asArray, asObject, type Json, num, str } from './read-json.js';

/**
 * `/api/engines`: every runtime with its hosts' versions and a managed engine's process; for the
 * engines the server installs (llama.cpp, MLX), the installed versions with the active one, and
 * Upgrade (`POST /api/engines/:engine/upgrade`, a job followed every second) and Rollback
 * (`POST /api/engines/:engine/rollback`), each after a confirmation.
 */
export class EnginesPanel {
  /** The last upgrade job of each engine, and what the last action said. */
  private readonly jobs = new Map<string, Json>();
  private readonly messages = new Map<string, { text: string; error: boolean }>();
  private engines: Json[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly api: ApiClient,
    private readonly body: HTMLElement,
    /** Asks the user; `window.confirm` in the page. */
    private readonly confirm: (question: string) => boolean = (question) => window.confirm(question),
  ) {}

  async refresh(): Promise<void> {
    this.engines = asArray(asObject(await this.api.json('/api/engines')).engines).map(asObject);
    this.render();
  }

  private async followJobs(): Promise<void> {
    clearTimeout(this.timer);
    let live = false;
    for (const [engine, job] of this.jobs) {
      if (!liveJob(job)) continue;
      const fresh = asObject(asObject(await this.api.json(`/api/jobs/${encodeURIComponent(str(job.id) ?? '')}`)).job);
      this.jobs.set(engine, fresh);
      if (liveJob(fresh)) live = true;
      else await this.refresh();
    }
    this.render();
    if (live) this.timer = setTimeout(() => void this.followJobs().catch((e) => this.fail('', e)), LIVE_POLL_MS);
  }

  private fail(engine: string, error: unknown): void {
    this.messages.set(engine, { text: error instanceof Error ? error.message : String(error), error: true });
    this.render();
  }

  private async upgrade(engine: string): Promise<void> {
    if (
      !this.confirm(
        `Upgrade ${engine}? The newest release is installed beside the active version and activated after a smoke test.`,
      )
    )
      return;
    this.messages.delete(engine);
    try {
      const answer = asObject(await this.api.post(`/api/engines/${encodeURIComponent(engine)}/upgrade`, {}));
      this.jobs.set(engine, asObject(answer.job));
      await this.followJobs();
    } catch (error) {
      this.fail(engine, error);
    }
  }

  private async rollback(engine: string): Promise<void> {
    if (!this.confirm(`Roll ${engine} back to its previous version?`)) return;
    try {
      const answer = asObject(await this.api.post(`/api/engines/${encodeURIComponent(engine)}/rollback`, {}));
      this.messages.set(engine, { text: `${str(answer.from) ?? '(none)'} → ${str(answer.to)}`, error: false });
      await this.refresh();
    } catch (error) {
      this.fail(engine, error);
    }
  }

  private render(): void {
    const rows = this.engines.map((engine) => {
      const runtime = str(engine.runtime) ?? '';
      const process = asObject(engine.process);
      const hosts = asArray(engine.hosts).map(asObject);
      const installed = engine.installed === undefined ? undefined : asObject(engine.installed);
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
        el('td', { attrs: { 'data-role': 'versions' } }, installed ? versionsCell(installed) : ''),
        el('td', {}, installed ? this.actionsCell(str(installed.engine) ?? '', installed) : ''),
      );
    });
    this.body.replaceChildren(table(['Engine', 'Enabled', 'Process', 'Hosts', 'Installed versions', ''], rows));
  }

  private actionsCell(engine: string, installed: Json): HTMLElement {
    const job = this.jobs.get(engine);
    const message = this.messages.get(engine);
    const busy = job !== undefined && liveJob(job);
    const pinned = installed.program === 'configured';
    const button = (action: string, label: string, run: () => void, disabled: boolean) =>
      el(
        'button',
        { attrs: { type: 'button', 'data-action': action, ...(disabled ? { disabled: '' } : {}) }, on: { click: run } },
        label,
      );
    return el(
      'div',
      {},
      button('upgrade', 'Upgrade', () => void this.upgrade(engine), busy || pinned),
      ' ',
      button('rollback', 'Rollback', () => void this.rollback(engine), busy || pinned || installed.previous === null),
      pinned
        ? el('div', { class: 'muted' }, 'the configuration names the program: upgrades would not change it')
        : null,
      job
        ? el(
            'div',
            { attrs: { 'data-role': 'upgrade-job' } },
            jobStateBadge(job),
            ' ',
            jobProgress(job),
            asObject(job.result).version
              ? el('div', { class: 'muted' }, `installed ${str(asObject(job.result).version)}`)
              : null,
            str(asObject(job.error).message) ? el('div', { class: 'error' }, str(asObject(job.error).message)) : null,
          )
        : null,
      message ? el('div', { class: message.error ? 'error' : 'muted' }, message.text) : null,
    );
  }
}

function versionsCell(installed: Json): HTMLElement {
  const versions = asArray(installed.versions).map(asObject);
  if (versions.length === 0) {
    return el('span', { class: 'muted' }, installed.program === 'configured' ? 'configured program' : 'none installed');
  }
  return el(
    'ul',
    { class: 'versions' },
    ...versions.map((v) =>
      el(
        'li',
        { attrs: { 'data-version': str(v.version) ?? '' } },
        el('span', { class: 'mono' }, str(v.version)),
        v.active === true ? el('span', { class: 'badge loaded' }, 'active') : null,
        v.previous === true ? el('span', { class: 'badge' }, 'previous') : null,
        el('span', { class: 'muted' }, ` ${str(v.source) ?? ''}`),
      ),
    ),
    installed.program === 'configured' ? el('li', { class: 'muted' }, 'runs the configured program instead') : null,
  );
}
