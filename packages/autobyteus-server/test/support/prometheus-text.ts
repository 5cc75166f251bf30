// The Prometheus text format parser (a port of the reference Python client's parser); it ships no types.
// @ts-expect-error no declaration file
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** One sample of a counter or gauge, or one labelled series of a histogram. */
export interface ParsedSample {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

export interface ParsedFamily {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: ParsedSample[];
}

const parse = parsePrometheusTextFormat as (text: string) => ParsedFamily[];

// Go's ParseFloat, which Prometheus uses: Inf and NaN in any case (prom-client writes `Nan`).
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$|^[+-]?inf(inity)?$|^nan$/i;

/**
 * Parses exposition text with the real parser (it throws on a malformed line), then checks what it
 * lets through: every value is a number, no family is untyped or repeated.
 *
 * The parser folds every labelled series of a histogram into one and drops their `_sum` and `_count`,
 * so histogram families are regrouped here: each of their sample lines is parsed on its own by the same
 * parser (name, unescaped labels, value), and grouped by the labels other than `le`.
 */
export function parseMetrics(text: string): Map<string, ParsedFamily> {
  const byName = new Map<string, ParsedFamily>();
  for (const family of parse(text)) {
    if (byName.has(family.name)) throw new Error(`family ${family.name} appears twice`);
    if (family.type === 'UNTYPED') throw new Error(`family ${family.name} has no # TYPE line`);
    byName.set(family.name, family);
  }
  for (const [name, series] of histogramSeries(text)) {
    const family = byName.get(name);
    if (family) family.metrics = series;
  }
  for (const family of byName.values()) {
    for (const sample of family.metrics) {
      const numbers = [sample.value, sample.count, sample.sum, ...Object.values(sample.buckets ?? {})];
      for (const n of numbers) {
        if (n !== undefined && !NUMBER.test(n)) throw new Error(`${family.name}: not a number: ${n}`);
      }
    }
  }
  return byName;
}

/** Every labelled series of every histogram in `text`, by family name. */
function histogramSeries(text: string): Map<string, ParsedSample[]> {
  const result = new Map<string, ParsedSample[]>();
  let histogram: string | undefined;
  let byLabels = new Map<string, ParsedSample>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      histogram = type[2] === 'histogram' ? type[1] : undefined;
      byLabels = new Map();
      if (histogram) result.set(histogram, []);
      continue;
    }
    if (!histogram || line === '' || line.startsWith('#')) continue;
    const [one] = parse(`${line}\n`);
    const sample = one?.metrics[0];
    if (!one || !sample?.value) throw new Error(`unparsable histogram line: ${line}`);
    const { le, ...labels } = sample.labels ?? {};
    const key = JSON.stringify(Object.entries(labels).sort());
    let series = byLabels.get(key);
    if (!series) {
      series = { labels, buckets: {} };
      byLabels.set(key, series);
      result.get(histogram)?.push(series);
    }
    if (one.name === `${histogram}_bucket` && le !== undefined) (series.buckets ?? {})[le] = sample.value;
    else if (one.name === `${histogram}_sum`) series.sum = sample.value;
    else if (one.name === `${histogram}_count`) series.count = sample.value;
    else throw new Error(`unexpected line in histogram ${histogram}: ${line}`);
  }
  return result;
}

/** The samples of family `name` whose labels include `labels`. */
export function samples(
  families: Map<string, ParsedFamily>,
  name: string,
  labels: Record<string, string> = {},
): ParsedSample[] {
  const family = families.get(name);
  if (!family) throw new Error(`no family ${name}; have ${[...families.keys()].join(', ')}`);
  return family.metrics.filter((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
}

/** The value of the one sample of `name` whose labels include `labels` (undefined when none). */
export function sampleValue(
  families: Map<string, ParsedFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples(families, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value === undefined ? undefined : Number(found[0].value);
}
