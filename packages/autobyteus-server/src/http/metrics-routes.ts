import type { FastifyInstance } from 'fastify';
import type { ServerMetrics } from '../metrics/server-metrics.js';

export interface MetricsRouteDeps {
  metrics: ServerMetrics;
}

/**
 * `GET /metrics`: the Prometheus text format. Not public: like every route it needs the bearer token
 * when one is configured (a scraper sends it as `authorization: Bearer …`), since host addresses and
 * model names are in the labels.
 */
export function registerMetricsRoutes(app: FastifyInstance, deps: MetricsRouteDeps): void {
  app.get('/metrics', async (_request, reply) => {
    const { contentType, text } = await deps.metrics.render();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(text);
  });
}
