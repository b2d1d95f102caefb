// InfluxDB plumbing shared by ingest (writes) and rules (history queries):
// version detection from /ping, the 1.x form of a v2 write path, and
// InfluxQL queries over /query (served by 1.x, 2.x v1-compat and 3.x).
import { TzError } from './errors.ts';

export interface InfluxTarget {
  url: string;
  /** v1 database (also the v2 bucket when `bucket` is unset). */
  database: string;
  retentionPolicy?: string;
  /** v1 credentials, sent as HTTP basic auth. */
  username?: string;
  password?: string;
  /** v2/v3 API token. */
  token?: string;
  org?: string;
  bucket?: string;
  /** Default 'auto': decided by the /ping X-Influxdb-Version header. */
  apiVersion?: 'auto' | 'v1' | 'v2';
}

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

const REQUEST_TIMEOUT_MS = 10_000;

/** Authorization header for a target: basic auth for v1 users, `Token` for v2. */
export function influxAuthHeaders(target: InfluxTarget): Record<string, string> {
  if (target.token) return { authorization: `Token ${target.token}` };
  if (target.username !== undefined) return { authorization: `Basic ${Buffer.from(`${target.username}:${target.password ?? ''}`).toString('base64')}` };
  return {};
}

function endpoint(target: InfluxTarget, path: string): string {
  return `${target.url.replace(/\/+$/, '')}${path}`;
}

/** 1.x servers answer /ping with X-Influxdb-Version 1.*; 2.x and 3.x are written through /api/v2/write. */
export async function detectInfluxApi(target: InfluxTarget): Promise<'v1' | 'v2'> {
  if (target.apiVersion === 'v1' || target.apiVersion === 'v2') return target.apiVersion;
  let response: Response;
  try {
    response = await fetch(endpoint(target, '/ping'), { headers: influxAuthHeaders(target), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    throw new TzError('TZ_INFLUX_UNREACHABLE', `InfluxDB at ${target.url} unreachable: ${causeOf(err)}`, { cause: err, retryable: true, details: { url: target.url } });
  }
  await response.arrayBuffer();
  const version = response.headers.get('x-influxdb-version') ?? '';
  if (response.status >= 500) throw new TzError('TZ_INFLUX_UNREACHABLE', `InfluxDB at ${target.url} answered /ping with ${response.status}`, { retryable: true, details: { url: target.url } });
  return /^v?1\./.test(version) ? 'v1' : 'v2';
}

/** Runs InfluxQL over /query (POST, epoch=ms); every statement's series, in order. */
export async function queryInfluxQL(target: InfluxTarget, query: string): Promise<InfluxSeries[]> {
  const params = new URLSearchParams({ q: query, db: target.database, epoch: 'ms' });
  if (target.retentionPolicy) params.set('rp', target.retentionPolicy);
  let response: Response;
  try {
    response = await fetch(endpoint(target, '/query'), {
      method: 'POST',
      headers: { ...influxAuthHeaders(target), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: params.toString(),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new TzError('TZ_INFLUX_UNREACHABLE', `InfluxDB at ${target.url} unreachable: ${causeOf(err)}`, { cause: err, retryable: true, details: { url: target.url } });
  }
  const text = await response.text();
  if (response.status >= 500) throw new TzError('TZ_INFLUX_UNREACHABLE', `InfluxDB at ${target.url} answered ${response.status}: ${text.slice(0, 200)}`, { retryable: true, details: { url: target.url } });
  let body: { error?: string; results?: Array<{ error?: string; series?: InfluxSeries[] }> };
  try {
    body = JSON.parse(text) as typeof body;
  } catch (err) {
    throw new TzError('TZ_INFLUX_QUERY', `InfluxDB answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`, { cause: err });
  }
  const statementError = body.error ?? body.results?.find((r) => r.error)?.error;
  if (statementError || !response.ok) throw new TzError('TZ_INFLUX_QUERY', `${statementError ?? `HTTP ${response.status}`} (query: ${query})`, { details: { status: response.status, query } });
  return (body.results ?? []).flatMap((r) => r.series ?? []);
}

/** `CREATE DATABASE` on a 1.x server (idempotent there). */
export async function createInfluxDatabase(target: InfluxTarget): Promise<void> {
  await queryInfluxQL({ ...target, retentionPolicy: undefined }, `CREATE DATABASE ${quoteIdentifier(target.database)}`);
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Maps the client's `/api/v2/write?org=&bucket=&precision=` onto the 1.x
 * `/write?db=&rp=&precision=`; any other path is returned unchanged.
 */
export function rewriteV1WritePath(path: string, target: Pick<InfluxTarget, 'database' | 'retentionPolicy'>): string {
  const url = new URL(path, 'http://influx.invalid');
  if (url.pathname !== '/api/v2/write') return path;
  const params = new URLSearchParams({ db: target.database });
  if (target.retentionPolicy) params.set('rp', target.retentionPolicy);
  const precision = url.searchParams.get('precision');
  if (precision) params.set('precision', precision);
  const consistency = url.searchParams.get('consistency');
  if (consistency) params.set('consistency', consistency);
  return `/write?${params.toString()}`;
}


function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}
