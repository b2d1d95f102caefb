import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from './logger.ts';

/** What every started component hands back: where it serves, its counters, how to stop it. */
export interface RunningService {
  /** Base URL of its /metrics and /healthz (and API, where it has one). */
  httpUrl: string;
  /** Plain counters for the pipeline report. */
  stats(): Record<string, number>;
  /** Closes every socket and timer it opened. */
  stop(): Promise<void>;
}

export interface HealthReport {
  ok: boolean;
  /** Component-specific facts: connected, lag, last error. */
  [key: string]: unknown;
}

export interface ServiceHttpOptions {
  component: string;
  registry: Registry;
  health: () => HealthReport | Promise<HealthReport>;
  log: Logger;
  /** Largest request body accepted, bytes (Fastify answers 413 beyond it). */
  bodyLimit?: number;
}

/**
 * The HTTP face every service has: `/metrics` (Prometheus text) and
 * `/healthz` (200 when healthy, 503 otherwise, JSON body either way).
 * Services with an API add their routes to the returned instance.
 */
export function createServiceHttp(options: ServiceHttpOptions): FastifyInstance {
  const app = Fastify({ loggerInstance: options.log.child({ http: true }) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: options.bodyLimit ?? 1_048_576 });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', options.registry.contentType);
    return options.registry.metrics();
  });
  app.get('/healthz', async (_req, reply) => {
    const report = await options.health();
    reply.code(report.ok ? 200 : 503);
    return { component: options.component, ...report };
  });
  return app;
}

/** Listens on host:port (0 = a free port) and returns the base URL. */
export async function listenService(app: FastifyInstance, host = '127.0.0.1', port = 0): Promise<string> {
  await app.listen({ host, port });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('service did not bind a TCP port');
  return `http://${host}:${address.port}`;
}

/** A registry per component; process metrics (CPU, heap) only where asked, once per process. */
export function createRegistry(component: string, withProcessMetrics = false): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ component });
  if (withProcessMetrics) {
    collectDefaultMetrics({ register: registry });
    // Gauges named *_total fail `promtool check metrics`; the same counts stay
    // in nodejs_active_handles / _requests / _resources, by type.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  }
  return registry;
}
