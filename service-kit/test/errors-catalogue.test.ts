import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { z } from 'zod';
import { ERROR_CATALOGUE, ERROR_HTTP_STATUS, TzError, installErrorHandler, parseRequest, type TzErrorCode } from '../index.ts';

// As Fastify's test/internals/errors.test.js: the catalogue is held against
// its documentation, so neither drifts.
const DOC = new URL('../../docs/errors.md', import.meta.url);

function documentedRows(): Map<string, { status: number; meaning: string }> {
  const rows = new Map<string, { status: number; meaning: string }>();
  for (const line of readFileSync(DOC, 'utf8').split('\n')) {
    const m = /^\| `(TZ_[A-Z0-9_]+)` \| (\d{3}) \| (.+) \|$/.exec(line);
    if (m) rows.set(m[1]!, { status: Number(m[2]), meaning: m[3]! });
  }
  return rows;
}

test('docs/errors.md lists every code with its status and meaning, and nothing else', () => {
  const doc = documentedRows();
  assert.equal([...doc.keys()].sort(), Object.keys(ERROR_CATALOGUE).sort());
  for (const [code, meaning] of Object.entries(ERROR_CATALOGUE)) {
    assert.is(doc.get(code)?.meaning, meaning, code);
    assert.is(doc.get(code)?.status, ERROR_HTTP_STATUS[code as TzErrorCode], code);
  }
});

test('every status is a client or server error', () => {
  for (const [code, status] of Object.entries(ERROR_HTTP_STATUS)) assert.ok(status >= 400 && status <= 599, `${code}: ${status}`);
});

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb(); } });
  return { lines, logger: pino({ level: 'info' }, sink) };
}

test('the one handler answers every code with its catalogue status, logs each 5xx and hides internals', async () => {
  const { lines, logger } = capturedLogger();
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger });
  installErrorHandler(app, 'test');
  app.get('/tz/:code', async (req) => {
    const code = (req.params as { code: TzErrorCode }).code;
    throw new TzError(code, 'it failed');
  });
  app.get('/crash', async () => { throw new Error('secret internal detail'); });
  app.post('/body', async (req) => parseRequest(z.strictObject({ n: z.number().int() }), req.body, 'body'));
  for (const code of Object.keys(ERROR_CATALOGUE) as TzErrorCode[]) {
    const res = await app.inject({ method: 'GET', url: `/tz/${code}` });
    assert.is(res.statusCode, ERROR_HTTP_STATUS[code], code);
    assert.is(res.json().code, code);
  }
  const logged5xx = lines.filter((l) => l.msg === 'test: request failed').length;
  assert.is(logged5xx, Object.values(ERROR_HTTP_STATUS).filter((s) => s >= 500).length, 'each 5xx logged once');

  const crash = await app.inject({ method: 'GET', url: '/crash' });
  assert.is(crash.statusCode, 500);
  assert.is(crash.json().code, 'TZ_INTERNAL');
  assert.not.match(crash.body, /secret internal detail/);

  const bad = await app.inject({ method: 'POST', url: '/body', payload: { n: 1.5, extra: true } });
  assert.is(bad.statusCode, 400);
  assert.is(bad.json().code, 'TZ_REQUEST_INVALID');
  assert.ok(bad.json().problems.length >= 2, 'every problem reported');
  const notJson = await app.inject({ method: 'POST', url: '/body', headers: { 'content-type': 'application/json' }, payload: '{' });
  assert.is(notJson.statusCode, 400);
  assert.is(notJson.json().code, 'TZ_REQUEST_INVALID');
  await app.close();
});

test.run();
