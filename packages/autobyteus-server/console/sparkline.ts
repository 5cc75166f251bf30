const SVG = 'http://www.w3.org/2000/svg';

/** A bounded history of numbers (oldest first) for one sparkline. */
export class Series {
  readonly values: number[] = [];
  constructor(private readonly capacity = 60) {}

  push(value: number): void {
    this.values.push(value);
    if (this.values.length > this.capacity) this.values.shift();
  }

  last(): number | undefined {
    return this.values[this.values.length - 1];
  }
}

/** A small SVG line chart of `values`, scaled from 0 to their maximum. */
export function sparkline(values: readonly number[], label: string, width = 160, height = 32): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const frame = document.createElementNS(SVG, 'rect');
  frame.setAttribute('width', String(width));
  frame.setAttribute('height', String(height));
  frame.setAttribute('class', 'frame');
  svg.append(frame);
  // One value draws as a flat line across (a polyline of one point is invisible).
  const shown = values.length === 1 ? [values[0] as number, values[0] as number] : values;
  const finite = shown.filter((v) => Number.isFinite(v));
  const max = Math.max(...finite, 0) || 1;
  const step = shown.length > 1 ? width / (shown.length - 1) : 0;
  const y = (v: number) => height - 2 - ((Number.isFinite(v) ? v : 0) / max) * (height - 4);
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', shown.map((v, i) => `${(i * step).toFixed(1)},${y(v).toFixed(1)}`).join(' '));
  line.setAttribute('fill', 'none');
  line.setAttribute('class', 'line');
  svg.append(line);
  return svg;
}
