/**
 * Why a request for a pool could not be placed on any host. `status`, `code` and `retryAfterSeconds`
 * are what the gateway answers with.
 */
export abstract class RoutingError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly retryAfterSeconds?: number;
}

/** The pool's queue is full: every slot is busy and `AUTOBYTEUS_MAX_QUEUE` requests already wait. */
export class QueueFullError extends RoutingError {
  override name = 'QueueFullError';
  readonly status = 503;
  readonly code = 'queue_full';
  override readonly retryAfterSeconds = 1;
  constructor(pool: string, queued: number) {
    super(`Every host serving "${pool}" is busy and ${queued} requests are already queued; retry shortly.`);
  }
}

/** A queued request waited the whole `AUTOBYTEUS_QUEUE_WAIT_MS` without a free slot. */
export class QueueTimeoutError extends RoutingError {
  override name = 'QueueTimeoutError';
  readonly status = 503;
  readonly code = 'queue_timeout';
  override readonly retryAfterSeconds = 2;
  constructor(pool: string, waitedMs: number) {
    super(`No host serving "${pool}" had a free slot within ${Math.round(waitedMs / 1000)} s; retry later.`);
  }
}

/** Every host of the pool is down, loading, or kept out by its circuit breaker. */
export class NoHostAvailableError extends RoutingError {
  override name = 'NoHostAvailableError';
  readonly status = 503;
  readonly code = 'no_host_available';
  override readonly retryAfterSeconds = 5;
  constructor(pool: string, why: string[]) {
    super(`No host can serve "${pool}" right now: ${why.join('; ')}. GET /api/health shows each host.`);
  }
}
