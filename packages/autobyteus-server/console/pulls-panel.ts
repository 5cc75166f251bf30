import { el } from './dom.js';
import { bytes } from './format.js';
import type { Sample } from './prometheus-text.js';
import { Series, sparkline } from './sparkline.js';

/**
 * Pulls. The server has no pull endpoint: `models pull` downloads in the CLI's own process with its
 * progress bar there. What this panel can show live is the bytes this server process downloads
 * itself (`autobyteus_download_bytes_total`, by kind), as a rate.
 */
export class PullsPanel {
  private readonly rates = new Map<string, Series>();
  private previous: { at: number; byKind: Map<string, number> } | undefined;

  constructor(private readonly body: HTMLElement) {}

  update(samples: Sample[], at: number): void {
    const byKind = new Map<string, number>();
    for (const s of samples) {
      if (s.name !== 'autobyteus_download_bytes_total') continue;
      const kind = s.labels.kind ?? 'other';
      byKind.set(kind, (byKind.get(kind) ?? 0) + s.value);
    }
    if (this.previous) {
      const seconds = (at - this.previous.at) / 1000;
      for (const [kind, value] of byKind) {
        let series = this.rates.get(kind);
        if (!series) {
          series = new Series();
          this.rates.set(kind, series);
        }
        series.push(seconds > 0 ? Math.max(0, value - (this.previous.byKind.get(kind) ?? 0)) / seconds : 0);
      }
    }
    this.previous = { at, byKind };
    this.body.replaceChildren(
      el(
        'p',
        {},
        'Pull models from the CLI on the server machine: ',
        el('code', {}, 'autobyteus-server models pull <ref>'),
        ' (for example ',
        el('code', {}, 'smollm2-135m-instruct-q4_1'),
        '; ',
        el('code', {}, 'models catalog'),
        ' lists the known ones). Its progress shows in that terminal; the admin API has no pull endpoint yet. A pulled model appears under Models at the next refresh.',
      ),
      el('h3', {}, 'Downloads by this server process'),
      byKind.size
        ? el(
            'ul',
            {},
            ...[...byKind].map(([kind, value]) =>
              el(
                'li',
                {},
                `${kind}: ${bytes(value)} in all, ${bytes(this.rates.get(kind)?.last() ?? 0)}/s `,
                sparkline(this.rates.get(kind)?.values ?? [], `download rate of ${kind}`),
              ),
            ),
          )
        : el('p', { class: 'muted' }, 'None since the server started.'),
    );
  }
}
