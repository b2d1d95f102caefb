import Database from 'better-sqlite3';
import { join } from 'node:path';
import { createLogger, createRegistry, createServiceHttp, listenService, openAccessTokens, type AccessTokens, type Role } from '../service-kit/index.ts';
import { DEFAULT_CASE_CONFIG, openCaseSystem, type CaseSystem, type CaseSystemOptions } from '../cases/index.ts';
import { tempDir } from './temp-dir.ts';

// The case system behind its real HTTP API on a free loopback port, as the
// case-API integration tests start it: a token store with the people the
// test names, the default case config with the test's crews, SQLite in a
// temp folder.

/** A crew in the case config (the config's own defaults fill the rest). */
export interface CaseApiCrew {
  id: string;
  name: string;
  department: string;
  districts: string[];
  skills: string[];
  webhookUrl?: string;
}

export interface CaseApiOptions {
  /** People to issue tokens for: the name in the test → role (and crew or area). */
  people: Readonly<Record<string, { role: Role; crewId?: string; area?: string }>>;
  crews: readonly CaseApiCrew[];
  /** Anything else of the case system (clock, photo size, webhook secret, retry …). */
  system?: Partial<Omit<CaseSystemOptions, 'dbPath' | 'access' | 'config' | 'photoDir'>>;
  /** Temp folder prefix. */
  prefix?: string;
}

export interface CaseApi {
  /** `http://127.0.0.1:<port>` */
  base: string;
  system: CaseSystem;
  access: AccessTokens;
  registry: ReturnType<typeof createRegistry>;
  dir: string;
  /** The bearer token of a person named in `people`; throws for anyone else. */
  token(person: string): string;
  stop(): Promise<void>;
}

export async function startCaseApi(options: CaseApiOptions): Promise<CaseApi> {
  const dir = tempDir(options.prefix ?? 'tz-cases-api-');
  const db = new Database(join(dir.path, 'access.sqlite'));
  const access = openAccessTokens(db);
  const tokens = new Map<string, string>();
  for (const [name, person] of Object.entries(options.people)) {
    tokens.set(name, access.issue({ name, role: person.role, ...(person.crewId ? { crewId: person.crewId } : {}), ...(person.area ? { area: person.area } : {}) }).token);
  }
  const registry = options.system?.registry ?? createRegistry('cases');
  const log = options.system?.log ?? createLogger('cases', 'silent');
  const system = await openCaseSystem({
    slaCheckMs: 0,
    ...options.system,
    registry,
    log,
    dbPath: join(dir.path, 'cases.sqlite'),
    access,
    photoDir: join(dir.path, 'photos'),
    config: { ...(DEFAULT_CASE_CONFIG as object), crews: options.crews },
  });
  const app = createServiceHttp({ component: 'cases', registry, log, health: () => ({ ok: true }) });
  await system.registerRoutes(app);
  const base = await listenService(app);
  return {
    base,
    system,
    access,
    registry,
    dir: dir.path,
    token(person) {
      const token = tokens.get(person);
      if (token === undefined) throw new Error(`no token issued for "${person}" (people: ${[...tokens.keys()].join(', ')})`);
      return token;
    },
    async stop() {
      await app.close();
      await system.stop();
      db.close();
      dir.remove();
    },
  };
}
