import { el } from './dom.js';
import { bytes } from './format.js';
import { asObject, type Json, num, str } from './read-json.js';

/** How often a panel polls while one of its jobs is queued or running. */
export const LIVE_POLL_MS = 1000;

/** A job (`GET /api/jobs`, `/api/pulls`) that has not ended yet. */
export function liveJob(job: Json): boolean {
  return job.state === 'queued' || job.state === 'running';
}

/** The job's state as a badge (`done`, `failed`, … ; a running job shows its phase). */
export function jobStateBadge(job: Json): HTMLElement {
  const state = str(job.state) ?? 'unknown';
  const phase = str(asObject(job.progress).phase);
  const text = state === 'running' && phase ? phase : state;
  return el('span', { class: `badge job-${state}`, attrs: { 'data-job-state': state } }, text);
}

/**
 * A native `<progress>` (no inline style: the CSP forbids it) with bytes done / total and the rate,
 * or the step's fraction and last message when it does not count bytes.
 */
export function jobProgress(job: Json): HTMLElement {
  const progress = asObject(job.progress);
  const done = num(progress.bytesDone);
  const total = num(progress.bytesTotal);
  const fraction = num(progress.fraction);
  const bar = el('progress', { attrs: { 'data-job-progress': str(job.id) ?? '' } });
  if (job.state === 'done') {
    bar.max = 1;
    bar.value = 1;
  } else if (done !== undefined && total) {
    bar.max = total;
    bar.value = Math.min(done, total);
  } else if (fraction !== undefined) {
    bar.max = 1;
    bar.value = fraction;
  }
  const rate = num(progress.bytesPerSec);
  const text =
    done !== undefined
      ? `${bytes(done)}${total ? ` / ${bytes(total)}` : ''}${rate && liveJob(job) ? ` · ${bytes(rate)}/s` : ''}`
      : (str(progress.message) ?? '');
  return el('div', { class: 'job-progress' }, bar, ' ', el('span', { class: 'muted' }, text));
}
