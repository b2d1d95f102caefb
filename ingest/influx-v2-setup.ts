import { createHash } from 'node:crypto';
import { HttpError, InfluxDB } from '@influxdata/influxdb-client';
import { BucketsAPI, OrgsAPI, TasksAPI } from '@influxdata/influxdb-client-apis';
import type { DeviceProfile, ProfileCatalogue } from '../device-profiles/index.ts';
import { TzError, type InfluxTarget, type Logger } from '../service-kit/index.ts';

// InfluxDB 2.x: the same layout as 1.x's retention policies and continuous
// queries, in 2.x terms — a raw bucket with the raw retention, an hourly
// bucket with the long one, and one Flux task per device class writing the
// hourly mean/min/max. Through @influxdata/influxdb-client-apis (the
// maintained client of the v2 management API). InfluxDB 3.x serves only the
// v2 write and v1 query endpoints (no orgs, buckets API or tasks): reported.

/** What the 2.x setup needs from the retention settings (see influx-setup.ts). */
export interface V2RetentionSetup {
  rawDuration: string;
  downsampledPolicy: string;
  downsampledDuration: string;
  resampleFor: string;
}

export interface V2SetupResult {
  /** False when the server has no v2 management API (InfluxDB 3.x): nothing was set up. */
  managed: boolean;
  buckets: string[];
  tasks: string[];
  notes: string[];
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

/** An InfluxQL/Flux duration like `90d` or `1w2d` in seconds; `inf`/`INF` is 0 (keep forever, as 2.x spells it). */
export function durationSeconds(duration: string): number {
  if (/^inf$/i.test(duration)) return 0;
  const parts = [...duration.matchAll(/(\d+)([smhdw])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== duration) {
    throw new TzError('TZ_CONFIG_INVALID', `retention duration "${duration}" is not like 90d, 6h or 2w`);
  }
  // Every part matched the pattern above, so its unit is one of UNIT_SECONDS' keys.
  return parts.reduce((sum, [, count, unit]) => sum + Number(count) * (UNIT_SECONDS[unit ?? ''] ?? NaN), 0);
}

/** Flux string literal (names come from validated profiles; escaped all the same). */
const str = (value: string) => JSON.stringify(value);

/** The hourly downsampling task of one device class: mean, min and max of every numeric metric into the hourly bucket. */
export function downsampleTaskFlux(profile: DeviceProfile, metrics: string[], buckets: { raw: string; hourly: string }, org: string, setup: V2RetentionSetup, name: string): string {
  const fields = metrics.map((m) => `r._field == ${str(m)}`).join(' or ');
  const aggregate = (fn: 'mean' | 'min' | 'max') =>
    // timeSrc _start: the hour's start, as InfluxQL's GROUP BY time(1h) stamps it on 1.x.
    `raw\n  |> aggregateWindow(every: 1h, fn: ${fn}, timeSrc: "_start", createEmpty: false)\n  |> map(fn: (r) => ({r with _field: r._field + "_${fn}"}))\n  |> to(bucket: ${str(buckets.hourly)}, org: ${str(org)})`;
  return [
    // offset: runs a few minutes after the hour, when late batches of the last hour have mostly arrived.
    `option task = {name: ${str(name)}, every: 1h, offset: 5m}`,
    '',
    // Re-aggregates the last resampleFor, so readings a gateway forwards late are still counted (like RESAMPLE FOR on 1.x).
    `raw = from(bucket: ${str(buckets.raw)})\n  |> range(start: -${setup.resampleFor})\n  |> filter(fn: (r) => r._measurement == ${str(profile.measurement)})\n  |> filter(fn: (r) => ${fields})`,
    '',
    aggregate('mean'),
    '',
    aggregate('min'),
    '',
    aggregate('max'),
    '',
  ].join('\n');
}

/** Task name: class + hash of its Flux, so a changed profile replaces the task (like the 1.x CQ names). */
function taskName(profile: DeviceProfile, fluxWithoutName: string): { prefix: string; name: string } {
  const prefix = `tz_1h_${profile.measurement.replace(/[^A-Za-z0-9_]/g, '_')}_`;
  return { prefix, name: prefix + createHash('sha256').update(fluxWithoutName).digest('hex').slice(0, 8) };
}

/**
 * Buckets and tasks on InfluxDB 2.x, idempotent: a bucket is created with
 * its retention or has its retention brought in line; a class's task is
 * created when missing and older tasks of the class (another hash) are
 * deleted. Needs a token allowed to manage buckets and tasks in the org.
 */
export async function setUpInfluxV2(target: InfluxTarget, profiles: ProfileCatalogue, setup: V2RetentionSetup, downsampled: (p: DeviceProfile) => string[], log: Logger): Promise<V2SetupResult> {
  const result: V2SetupResult = { managed: false, buckets: [], tasks: [], notes: [] };
  const influx = new InfluxDB({ url: target.url, token: target.token, timeout: 10_000 });
  const orgName = target.org ?? '';
  let orgID: string;
  let org: string;
  try {
    const orgs = await new OrgsAPI(influx).getOrgs(orgName ? { org: orgName } : {});
    const found = orgs.orgs?.[0];
    if (!found?.id) throw new TzError('TZ_CONFIG_INVALID', `InfluxDB at ${target.url} has no organisation ${str(orgName)}: set INFLUX_ORG to one the token (INFLUX_TOKEN) belongs to`);
    orgID = found.id;
    org = found.name;
  } catch (err) {
    if (err instanceof HttpError && (err.statusCode === 404 || err.statusCode === 405)) {
      result.notes.push('InfluxDB 3.x (no v2 management API): set the database retention and downsampling on the server (see ingest/README.md "Retention and downsampling")');
      return result;
    }
    if (err instanceof HttpError && (err.statusCode === 401 || err.statusCode === 403)) {
      throw new TzError('TZ_INFLUX_QUERY', `InfluxDB at ${target.url} refused the token for the organisation list (${err.statusCode}): give ingest a token (INFLUX_TOKEN) allowed to read orgs and manage buckets and tasks, or start it with --no-setup`, { cause: err });
    }
    throw err;
  }
  result.managed = true;
  const raw = target.bucket ?? target.database;
  const hourly = `${raw}_${setup.downsampledPolicy}`;
  const bucketsApi = new BucketsAPI(influx);
  for (const [name, duration] of [[raw, setup.rawDuration], [hourly, setup.downsampledDuration]] as const) {
    const everySeconds = durationSeconds(duration);
    const retentionRules = [{ type: 'expire' as const, everySeconds }];
    const found = (await bucketsApi.getBuckets({ orgID, name })).buckets?.find((b) => b.name === name);
    if (!found) await bucketsApi.postBuckets({ body: { orgID, name, retentionRules } });
    else if (found.id && found.retentionRules?.[0]?.everySeconds !== everySeconds) await bucketsApi.patchBucketsID({ bucketID: found.id, body: { retentionRules } });
    result.buckets.push(`${name} (${duration})`);
  }
  const tasksApi = new TasksAPI(influx);
  const existing = (await tasksApi.getTasks({ orgID, limit: 500 })).tasks ?? [];
  for (const profile of profiles.all()) {
    const metrics = downsampled(profile);
    if (metrics.length === 0) continue;
    const { prefix, name } = taskName(profile, downsampleTaskFlux(profile, metrics, { raw, hourly }, org, setup, ''));
    for (const old of existing.filter((t) => t.name.startsWith(prefix) && t.name !== name)) await tasksApi.deleteTasksID({ taskID: old.id });
    if (!existing.some((t) => t.name === name)) {
      await tasksApi.postTasks({ body: { orgID, status: 'active', flux: downsampleTaskFlux(profile, metrics, { raw, hourly }, org, setup, name), description: `Tianzhong: hourly mean/min/max of ${profile.measurement}` } });
    }
    result.tasks.push(name);
  }
  log.info({ org, buckets: result.buckets, tasks: result.tasks.length }, 'InfluxDB 2.x buckets and hourly downsampling tasks in place');
  return result;
}
