/** The reason an aborted signal carries, as an Error (an `AbortError` when it carries none). */
export function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('the operation was aborted');
  error.name = 'AbortError';
  return error;
}

/**
 * Waits `ms` milliseconds; rejects with the signal's reason as soon as `signal` aborts, so a
 * cancelled download or lock wait does not linger for the rest of its back-off.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
