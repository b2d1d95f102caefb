import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { TzError, httpStatusOf, type TzErrorCode } from './errors.ts';

// One way every HTTP service turns a failure into an answer: `{code, message}`
// (plus `problems` for invalid input) with the status from ERROR_HTTP_STATUS,
// every 5xx logged, internals never shown to the caller.

/** One problem with an input: where (dotted path) and what. */
export interface InputProblem {
  path: string;
  problem: string;
}

/** Zod issues as `{path, problem}`, the one shape every room reports them in. */
export function zodProblems(error: z.ZodError): InputProblem[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), problem: i.message }));
}

/** `where: path: problem`, one line each — how config files and CLI input report zodProblems. */
export function formatProblems(problems: readonly InputProblem[], where: string): string {
  return problems.map((p) => `${where}: ${p.path || '(root)'}: ${p.problem}`).join('\n');
}

/** Parses a request part (params, query, body); TZ_REQUEST_INVALID (400) with every problem otherwise. */
export function parseRequest<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = zodProblems(result.error);
  throw new TzError('TZ_REQUEST_INVALID', `invalid ${what}: ${problems.map((p) => `${p.path || what}: ${p.problem}`).join('; ')}`, { details: { problems } });
}

/** What an error answer looks like; Open311 has its own format. */
export type ErrorShape = (status: number, code: TzErrorCode, message: string, problems: InputProblem[] | undefined) => unknown;

const defaultShape: ErrorShape = (_status, code, message, problems) => (problems ? { code, message, problems } : { code, message });

/**
 * Installs the error handler on an app or plugin scope. TzErrors answer with
 * their catalogue status; Fastify's own errors (bad JSON, 413, 415) keep
 * theirs as TZ_REQUEST_INVALID; anything else is a logged 500 TZ_INTERNAL.
 */
export function installErrorHandler(scope: FastifyInstance, component: string, shape: ErrorShape = defaultShape): void {
  scope.setErrorHandler((err: FastifyError | TzError, req, reply: FastifyReply) => {
    const tz = err instanceof TzError;
    const status = tz ? httpStatusOf(err) : (err.statusCode ?? 500);
    if (status >= 500) scope.log.error({ err, method: req.method, url: req.url.split('?')[0] }, `${component}: request failed`);
    if (tz) {
      const problems = Array.isArray(err.details.problems) ? (err.details.problems as InputProblem[]) : undefined;
      return reply.code(status).send(shape(status, err.code, err.message, problems));
    }
    const code: TzErrorCode = status >= 500 ? 'TZ_INTERNAL' : 'TZ_REQUEST_INVALID';
    return reply.code(status).send(shape(status, code, status >= 500 ? 'internal error (see the service log)' : err.message, undefined));
  });
}
