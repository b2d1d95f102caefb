import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs (pino) for one component. TZ_LOG_LEVEL sets the level
 * (default info; tests use silent unless TZ_LOG_LEVEL is set).
 */
export function createLogger(component: string, level?: string): Logger {
  return pino({
    name: component,
    level: level ?? process.env.TZ_LOG_LEVEL ?? 'info',
    base: { component },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
