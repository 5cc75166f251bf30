import { el } from './dom.js';
import { bytes, duration } from './format.js';
import { type Sample, total } from './prometheus-text.js';
import { Series, sparkline } from './sparkline.js';

/** How one chart turns two scrapes into a point: a counter's rate, a gauge's value, or a histogram's mean. */
type ChartKind = 'rate' | 'gauge' | 'mean';

interface Chart {
  label: string;
  metric: string;
  kind: ChartKind;
  show: (value: number) => string;
}

const CHARTS: Chart[] = [
  { label: 'Requests / s', metric: 'autobyteus_requests_total', kind: 'rate', show: (v) => v.toFixed(2) },
  { label: 'Tokens / s', metric: 'autobyteus_tokens_generated_total', kind: 'rate', show: (v) => v.toFixed(1) },
  { label: 'In flight', metric: 'autobyteus_requests_in_flight', kind: 'gauge', show: (v) => String(v) },
  { label: 'Queued', metric: 'autobyteus_requests_queued', kind: 'gauge', show: (v) => String(v) },
  {
    label: 'Time to first token (mean)',
    metric: 'autobyteus_time_to_first_token_seconds',
    kind: 'mean',
    show: (v) => duration(v * 1000),
  },
  {
    label: 'Request duration (mean)',
    metric: 'autobyteus_request_duration_seconds',
    kind: 'mean',
    show: (v) => duration(v * 1000),
  },
  { label: 'Server memory (RSS)', metric: 'process_resident_memory_bytes', kind: 'gauge', show: bytes },
];

/** Sparklines over successive scrapes of `GET /metrics`, kept while the page is open. */
export class MetricsPanel {
  private readonly series = CHARTS.map(() => new Series());
  private previous: { at: number; samples: Sample[] } | undefined;

  constructor(private readonly body: HTMLElement) {}

  update(samples: Sample[], at: number): void {
    const before = this.previous;
    CHARTS.forEach((chart, i) => {
      const point = this.point(chart, samples, before, at);
      if (point !== undefined) this.series[i]?.push(point);
    });
    this.previous = { at, samples };
    this.body.replaceChildren(
      el(
        'div',
        { class: 'charts' },
        ...CHARTS.map((chart, i) => {
          const series = this.series[i] as Series;
          const last = series.last();
          return el(
            'figure',
            { attrs: { 'data-metric': chart.metric } },
            el('figcaption', {}, chart.label, ' ', el('strong', {}, last === undefined ? '–' : chart.show(last))),
            sparkline(series.values, chart.label, 220, 40),
          );
        }),
      ),
    );
  }

  private point(
    chart: Chart,
    samples: Sample[],
    before: { at: number; samples: Sample[] } | undefined,
    at: number,
  ): number | undefined {
    // A labelled gauge has no sample until its first label set: none in flight yet reads as 0.
    if (chart.kind === 'gauge') return total(samples, chart.metric) ?? 0;
    if (!before) return undefined;
    if (chart.kind === 'rate') {
      const now = total(samples, chart.metric) ?? 0;
      const then = total(before.samples, chart.metric) ?? 0;
      const seconds = (at - before.at) / 1000;
      // A restarted server resets its counters: no negative rates.
      return seconds > 0 ? Math.max(0, now - then) / seconds : 0;
    }
    const sum = (total(samples, `${chart.metric}_sum`) ?? 0) - (total(before.samples, `${chart.metric}_sum`) ?? 0);
    const count =
      (total(samples, `${chart.metric}_count`) ?? 0) - (total(before.samples, `${chart.metric}_count`) ?? 0);
    // No request finished since the last scrape: no new point (a 0 would read as instant answers).
    return count > 0 ? sum / count : undefined;
  }
}
