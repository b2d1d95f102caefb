import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ProfileCatalogue } from '../device-profiles/index.ts';
import { openAccessTokens, type AccessTokens } from '../service-kit/index.ts';
import { startRules, type RulesService } from '../rules/index.ts';
import { openCaseSystem, type CaseSystem } from '../cases/index.ts';
import { registerConsoleRoutes, connectMqttAlarmFeed, type AlarmFeed } from '../dashboards/index.ts';
import { startBareBroker, type BareBroker } from './bare-broker.ts';
import { issueConsoleTokens, type ConsolePerson } from './console-browser.ts';

// The services behind the ops console, in one process as the rules service
// mounts them: rules, the case system and the console routes on one Fastify
// server, the alarm feed and the rules engine on a bare Aedes that lets in
// only `password`; one token for each of the console people.

export interface ConsoleStack {
  broker: BareBroker;
  access: AccessTokens;
  tokens: Record<ConsolePerson, string>;
  cases: CaseSystem;
  feed: AlarmFeed;
  rules: RulesService;
  stop(): Promise<void>;
}

export interface ConsoleStackOptions {
  /** Where the SQLite files and photos go. */
  dir: string;
  /** The broker's one password, for the services and any gateway the test connects. */
  password: string;
  profiles: ProfileCatalogue;
  /** History for backtests and charts. */
  influx?: { url: string; database: string };
  timeZone?: string;
}

export async function startConsoleStack(o: ConsoleStackOptions): Promise<ConsoleStack> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s();
  };
  try {
    const broker = await startBareBroker({ login: { password: o.password } });
    stops.push(() => broker.stop());
    const access = openAccessTokens(new Database(join(o.dir, 'access.sqlite')));
    const tokens = await issueConsoleTokens(access);
    const cases = await openCaseSystem({ dbPath: join(o.dir, 'cases.sqlite'), access, photoDir: join(o.dir, 'photos'), slaCheckMs: 0 });
    stops.push(() => cases.stop());
    const feed = await connectMqttAlarmFeed({ brokerUrl: broker.url, username: 'tz-console', password: o.password });
    stops.push(() => feed.close());
    const rules = await startRules({
      brokerUrl: broker.url, username: 'tz-rules', password: o.password, profiles: o.profiles, dbPath: join(o.dir, 'rules.sqlite'),
      ...(o.influx ? { influx: o.influx } : {}), access, alarmSinks: [cases.alarmSink],
      registerRoutes: async (app) => {
        await cases.registerRoutes(app);
        await registerConsoleRoutes(app, { access, profiles: o.profiles, alarmFeed: feed, ...(o.influx ? { influx: o.influx } : {}), ...(o.timeZone ? { timeZone: o.timeZone } : {}) });
      },
    });
    stops.push(() => rules.stop());
    return { broker, access, tokens, cases, feed, rules, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
