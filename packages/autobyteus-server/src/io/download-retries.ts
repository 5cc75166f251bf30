import { DownloadError } from './download-errors.js';
import { type AttemptSettings, attempt, type Segment, type Transfer } from './download-transfer.js';
import { redactUrl } from './redact-url.js';
import { backoffDelay, isRetryable, type RetryPolicy } from './retry-policy.js';
import { sleep } from './sleep.js';

/**
 * Attempts one segment until it is complete, a final error, or the retry policy gives up; each retry
 * resumes from what is on disk. `segment` is re-read every round: a single stream that restarted from
 * byte 0 has a new one.
 */
export async function fetchSegmentWithRetries(
  t: Transfer,
  segment: () => Segment,
  settings: AttemptSettings,
  policy: RetryPolicy,
): Promise<void> {
  let failures = 0;
  let sinceFirstFailure = 0;
  for (;;) {
    const current = segment();
    const before = current.done;
    try {
      if (await attempt(t, current, settings)) return;
    } catch (error) {
      if (!isRetryable(error, settings.signal)) throw error;
      const after = segment();
      failures = after === current && after.done > before ? 1 : failures + 1;
      if (failures === 1) sinceFirstFailure = t.requests;
      const delay = backoffDelay(failures, policy.baseDelayMs);
      const idleMs = performance.now() - after.lastByteAt;
      if (failures > policy.maxRetries || idleMs + delay > policy.budgetMs) {
        const attempts = t.requests - sinceFirstFailure + 1;
        throw new DownloadError(
          `giving up on ${redactUrl(t.url)}: ${attempts} attempts in a row made no progress for ` +
            `${(idleMs / 1000).toFixed(1)} s (limits: ${policy.maxRetries + 1} attempts, ${policy.budgetMs / 1000} s without progress); ` +
            `last error: ${(error as Error).message}`,
          t.url,
          { cause: error },
        );
      }
      await sleep(delay, settings.signal);
    }
  }
}
