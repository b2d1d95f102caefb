import { join } from 'node:path';
import { ComponentProcess, health } from './component-process.ts';

export interface RulesMemberSpec {
  /** Also the client id's suffix and the log file's name. */
  name: string;
  brokerUrl: string;
  /** The PostgreSQL URL the rules and case stores share. */
  dbUrl: string;
  httpPort: number;
  /** Where the shared token file, the member's audit log, photos and log go. */
  dir: string;
  password: string;
}

/** `tianzhong rules run` as one member of the `$share/rules` group on PostgreSQL (the two-services and handover tests). */
export function rulesMemberProcess(o: RulesMemberSpec): ComponentProcess {
  return new ComponentProcess({
    name: o.name,
    args: ['rules', 'run', '--broker', o.brokerUrl, '--username', 'tz-rules', '--client-id', `tz-rules-${o.name}`, '--share-group', 'rules',
      '--http-port', String(o.httpPort), '--rules-db', o.dbUrl, '--cases-db', o.dbUrl, '--access-db', join(o.dir, 'access.sqlite'),
      '--audit-db', join(o.dir, `${o.name}-audit.sqlite`), '--photos', join(o.dir, `${o.name}-photos`)],
    env: { TZ_MQTT_PASSWORD: o.password, TZ_LOG_LEVEL: 'warn' },
    logFile: join(o.dir, `${o.name}.log`),
    ready: async () => (await health(`http://127.0.0.1:${o.httpPort}`))?.ok === true,
    readyTimeoutMs: 60_000,
  });
}
