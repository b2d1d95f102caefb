// Preload (`node --import tsx --import ./faults/harness/route-recorder.ts …`)
// that lists every route of every Fastify app in the process, from the app
// itself: Fastify publishes each new instance on the `fastify.initialization`
// diagnostics channel, and an `onRoute` hook sees every route registered after.
// One JSON line per route goes to TZ_FAULT_ROUTES_FILE.
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';

interface RouteOptionsSeen { method: string | string[]; url: string; schema?: { querystring?: { properties?: Record<string, unknown> }; params?: { properties?: Record<string, unknown> } } }
interface FastifyLike { addHook(name: 'onRoute', hook: (route: RouteOptionsSeen) => void): unknown }

const file = process.env.TZ_FAULT_ROUTES_FILE;
if (file) {
  subscribe('fastify.initialization', (message) => {
    const app = (message as { fastify?: FastifyLike }).fastify;
    app?.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) {
        if (method === 'HEAD') continue;
        const query = Object.keys(route.schema?.querystring?.properties ?? {});
        appendFileSync(file, `${JSON.stringify({ pid: process.pid, method, url: route.url, query })}\n`);
      }
    });
  });
}
