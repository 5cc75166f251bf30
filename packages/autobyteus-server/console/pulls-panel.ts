import type { ApiClient } from './api-client.js';
import { el, table } from './dom.js';
import { bytes } from './format.js';
import { jobProgress, jobStateBadge, LIVE_POLL_MS, liveJob } from './job-view.js';
import { asArray, asObject, type Json, str } from './read-json.js';

/**
 * Pulls: a model reference (catalog name, `hf:org/repo`, `hf:org/repo/file.gguf`) → `POST /api/models/pull`,
 * then every pull job from `GET /api/pulls` with a progress bar and Cancel (`DELETE /api/pulls/:id`).
 * While a job is queued or running the panel polls every second on its own; when one ends, `changed`
 * tells the Models panel, so the pulled model shows there without waiting for the next round.
 */
export class PullsPanel {
  private readonly input: HTMLInputElement;
  private readonly button: HTMLButtonElement;
  private readonly catalog: HTMLDataListElement;
  /** The job list; the form beside it is never rebuilt, so typing and focus survive the refreshes. */
  private readonly list: HTMLElement;
  private jobs: Json[] = [];
  private message: { text: string; error: boolean } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private catalogLoaded = false;

  constructor(
    private readonly api: ApiClient,
    private readonly body: HTMLElement,
    private readonly changed: () => void,
  ) {
    this.catalog = el('datalist', { attrs: { id: 'pull-catalog' } });
    this.input = el('input', {
      attrs: {
        id: 'pull-model',
        type: 'text',
        size: '48',
        list: 'pull-catalog',
        placeholder: 'catalog name, hf:org/repo or hf:org/repo/file.gguf',
        'aria-label': 'model to pull',
        spellcheck: 'false',
      },
    });
    this.button = el(
      'button',
      { attrs: { id: 'pull-start', type: 'button' }, on: { click: () => void this.pull() } },
      'Pull',
    );
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') void this.pull();
    });
    this.list = el('div', { attrs: { id: 'pull-jobs' } });
    this.body.replaceChildren(el('div', { class: 'pull-form' }, this.input, ' ', this.button, this.catalog), this.list);
  }

  async refresh(): Promise<void> {
    if (!this.catalogLoaded) {
      const catalog = asArray(asObject(await this.api.json('/api/models/catalog')).models).map(asObject);
      this.catalog.replaceChildren(
        ...catalog.map((entry) => el('option', { attrs: { value: str(entry.name) ?? '' } }, str(entry.description))),
      );
      this.catalogLoaded = true;
    }
    const before = new Set(this.jobs.filter(liveJob).map((job) => str(job.id)));
    this.jobs = asArray(asObject(await this.api.json('/api/pulls')).pulls).map(asObject);
    const ended = this.jobs.some((job) => before.has(str(job.id)) && !liveJob(job));
    this.render();
    if (ended) this.changed();
    this.schedule();
  }

  /** Polls every second while a job is live (the page's round is every 3 s). */
  private schedule(): void {
    clearTimeout(this.timer);
    if (!this.jobs.some(liveJob)) return;
    this.timer = setTimeout(() => void this.refresh().catch((error) => this.fail(error)), LIVE_POLL_MS);
  }

  private fail(error: unknown): void {
    this.message = { text: error instanceof Error ? error.message : String(error), error: true };
    this.render();
    this.schedule();
  }

  private async pull(): Promise<void> {
    const model = this.input.value.trim();
    if (!model) return;
    this.button.disabled = true;
    try {
      const answer = asObject(await this.api.post('/api/models/pull', { model }));
      this.message = {
        text: answer.joined === true ? `${model}: already being pulled, following that pull` : `pulling ${model}`,
        error: false,
      };
      this.input.value = '';
      await this.refresh();
    } catch (error) {
      this.fail(error);
    } finally {
      this.button.disabled = false;
    }
  }

  private async cancel(id: string): Promise<void> {
    try {
      await this.api.json(`/api/pulls/${encodeURIComponent(id)}`, { method: 'DELETE' });
      await this.refresh();
    } catch (error) {
      this.fail(error);
    }
  }

  private render(): void {
    const rows = this.jobs.map((job) => {
      const id = str(job.id) ?? '';
      const result = asObject(job.result);
      const error = asObject(job.error);
      return el(
        'tr',
        { attrs: { 'data-job': id, 'data-state': str(job.state) ?? '' } },
        el('td', { class: 'mono' }, str(job.subject)),
        el('td', {}, jobStateBadge(job)),
        el('td', {}, jobProgress(job)),
        el(
          'td',
          {},
          str(result.name)
            ? `${str(result.name)}${result.sizeBytes ? ` (${bytes(Number(result.sizeBytes))})` : ''}`
            : '',
          str(error.message) ? el('div', { class: 'error' }, str(error.message)) : null,
        ),
        el(
          'td',
          {},
          liveJob(job)
            ? el(
                'button',
                { attrs: { type: 'button', 'data-action': 'cancel' }, on: { click: () => void this.cancel(id) } },
                'Cancel',
              )
            : null,
        ),
      );
    });
    this.list.replaceChildren(
      el(
        'p',
        { class: this.message?.error ? 'error' : 'muted', attrs: { 'data-role': 'pull-message' } },
        this.message?.text,
      ),
      rows.length
        ? table(['Model', 'State', 'Progress', 'Result', ''], rows)
        : el(
            'p',
            { class: 'muted' },
            'No pulls since the server started. Catalog names are suggested as you type; a pulled model shows under Models.',
          ),
    );
  }
}
