import { createHash } from 'node:crypto';
import type { DeviceProfile, ProfileCatalogue } from '../device-profiles/index.ts';
import { setUpInfluxV2 } from './influx-v2-setup.ts';
import { createInfluxDatabase, queryInfluxQL, quoteIdentifier, type InfluxTarget, type Logger } from '../service-kit/index.ts';

/** Retention and downsampling set up on first start (and brought in line on every start). */
export interface RetentionSetup {
  /** Policy raw readings are written to; made the database's default so InfluxQL without `rp` reads it. Default 'raw'. */
  rawPolicy: string;
  /** InfluxQL duration, default '90d'. */
  rawDuration: string;
  /** Policy of the hourly mean/min/max. Default 'hourly'. */
  downsampledPolicy: string;
  /** Default '730d' (two years). */
  downsampledDuration: string;
  /** How far back each hourly run recomputes, so readings a gateway forwards late are still downsampled. Default '6h'. */
  resampleFor: string;
}

export const DEFAULT_RETENTION: RetentionSetup = { rawPolicy: 'raw', rawDuration: '90d', downsampledPolicy: 'hourly', downsampledDuration: '730d', resampleFor: '6h' };

export interface SetupReport {
  api: 'v1' | 'v2';
  database: string;
  policies: string[];
  continuousQueries: string[];
  /** InfluxDB 2.x: the hourly downsampling tasks (one per device class). */
  tasks: string[];
  /** What could not be set up automatically and what the operator should do. */
  notes: string[];
}

/** Numeric metrics of a profile: what the hourly mean/min/max is computed over. */
export function downsampledMetrics(profile: DeviceProfile): string[] {
  return profile.metrics.filter((m) => m.type !== 'boolean').map((m) => m.name);
}

/** The hourly SELECT … INTO of one device class (the body of its continuous query; also runnable by hand to backfill). */
export function downsampleSelect(profile: DeviceProfile, database: string, setup: RetentionSetup): string {
  const q = quoteIdentifier;
  const fields = downsampledMetrics(profile).flatMap((m) => [`mean(${q(m)}) AS ${q(`${m}_mean`)}`, `min(${q(m)}) AS ${q(`${m}_min`)}`, `max(${q(m)}) AS ${q(`${m}_max`)}`]);
  // GROUP BY * keeps every tag (device, district, gateway, profile_version) as a tag of the hourly series.
  return `SELECT ${fields.join(', ')} INTO ${q(database)}.${q(setup.downsampledPolicy)}.${q(profile.measurement)} FROM ${q(database)}.${q(setup.rawPolicy)}.${q(profile.measurement)} GROUP BY time(1h), *`;
}

function cqName(profile: DeviceProfile, body: string): { prefix: string; name: string } {
  const prefix = `tz_1h_${profile.measurement.replace(/[^A-Za-z0-9_]/g, '_')}_`;
  return { prefix, name: prefix + createHash('sha256').update(body).digest('hex').slice(0, 8) };
}

/**
 * InfluxDB 1.x: database, raw policy (default), downsampled policy, and one
 * continuous query per device class. Idempotent: policies are created or
 * altered to the configured durations; a CQ's name carries a hash of its
 * query, so a changed profile drops the old CQ and creates the new one
 * (1.x cannot alter a CQ). 2.x: buckets and one Flux task per class, the
 * same way (influx-v2-setup.ts). 3.x has neither: reported in `notes`.
 */
export async function setUpInfluxLayout(target: InfluxTarget, api: 'v1' | 'v2', profiles: ProfileCatalogue, setup: RetentionSetup, log: Logger): Promise<SetupReport> {
  const report: SetupReport = { api, database: target.database, policies: [], continuousQueries: [], tasks: [], notes: [] };
  if (api === 'v2') {
    const v2 = await setUpInfluxV2(target, profiles, setup, downsampledMetrics, log);
    report.policies.push(...v2.buckets);
    report.tasks.push(...v2.tasks);
    report.notes.push(...v2.notes);
    if (!v2.managed) log.warn({ notes: report.notes }, 'retention and downsampling not set up automatically on this server');
    return report;
  }
  const q = quoteIdentifier;
  const db = target.database;
  const admin: InfluxTarget = { ...target, retentionPolicy: undefined };
  await createInfluxDatabase(admin);
  const existing = new Map((await queryInfluxQL(admin, `SHOW RETENTION POLICIES ON ${q(db)}`)).flatMap((s) => (s.values ?? []).map((v) => [String(v[0]), String(v[1])] as const)));
  for (const [name, duration, isDefault] of [[setup.rawPolicy, setup.rawDuration, true], [setup.downsampledPolicy, setup.downsampledDuration, false]] as const) {
    const verb = existing.has(name) ? 'ALTER' : 'CREATE';
    const replication = verb === 'CREATE' ? ' REPLICATION 1' : '';
    await queryInfluxQL(admin, `${verb} RETENTION POLICY ${q(name)} ON ${q(db)} DURATION ${duration}${replication}${isDefault ? ' DEFAULT' : ''}`);
    report.policies.push(`${name} (${duration}${isDefault ? ', default' : ''})`);
  }
  const cqs = (await queryInfluxQL(admin, 'SHOW CONTINUOUS QUERIES')).filter((s) => s.name === db).flatMap((s) => (s.values ?? []).map((v) => String(v[0])));
  for (const profile of profiles.all()) {
    if (downsampledMetrics(profile).length === 0) continue;
    const body = downsampleSelect(profile, db, setup);
    const { prefix, name } = cqName(profile, `${body} RESAMPLE FOR ${setup.resampleFor}`);
    for (const old of cqs.filter((c) => c.startsWith(prefix) && c !== name)) await queryInfluxQL(admin, `DROP CONTINUOUS QUERY ${q(old)} ON ${q(db)}`);
    if (!cqs.includes(name)) await queryInfluxQL(admin, `CREATE CONTINUOUS QUERY ${q(name)} ON ${q(db)} RESAMPLE EVERY 1h FOR ${setup.resampleFor} BEGIN ${body} END`);
    report.continuousQueries.push(name);
  }
  log.info({ database: db, policies: report.policies, continuousQueries: report.continuousQueries.length }, 'InfluxDB retention and hourly downsampling in place');
  return report;
}
