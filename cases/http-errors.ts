import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { TzError, type TzErrorCode } from '../service-kit/index.ts';

// Errors of the case HTTP API: `{code, message}` with a status per code.

const STATUS_BY_CODE: Partial<Record<TzErrorCode, number>> = {
  TZ_REQUEST_INVALID: 400, TZ_AUTH_REQUIRED: 401, TZ_FORBIDDEN: 403, TZ_CASE_NOT_FOUND: 404, TZ_CREW_NOT_FOUND: 404, TZ_OPEN311_SERVICE: 404,
  TZ_CASE_TRANSITION: 409, TZ_SUBSCRIPTION_NOT_FOUND: 404,
};

export function statusOf(err: TzError): number {
  if (err.code === 'TZ_PHOTO_INVALID') return err.details.reason === 'too-large' ? 413 : 415;
  return STATUS_BY_CODE[err.code] ?? 500;
}

export function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || what}: ${i.message}`).join('; ');
  throw new TzError('TZ_REQUEST_INVALID', `invalid ${what}: ${problems}`);
}

/** Error handler for a plugin scope; `shape` lets Open311 answer in its own error format. */
export function installErrorHandler(scope: FastifyInstance, shape: (status: number, code: string, message: string) => unknown = (_s, code, message) => ({ code, message })): void {
  scope.setErrorHandler((err: FastifyError | TzError, _req, reply: FastifyReply) => {
    if (err instanceof TzError) {
      const status = statusOf(err);
      if (status >= 500) scope.log.error({ err }, 'cases: request failed');
      return reply.code(status).send(shape(status, err.code, err.message));
    }
    const status = err.statusCode ?? 500;
    if (status >= 500) scope.log.error({ err }, 'cases: request failed');
    const code: TzErrorCode = status >= 500 ? 'TZ_INTERNAL' : 'TZ_REQUEST_INVALID';
    return reply.code(status).send(shape(status, code, status >= 500 ? 'internal error' : err.message));
  });
}
