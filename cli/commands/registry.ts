// `tianzhong devices|assets|gateways`: the device registry, worked on
// directly in its SQLite file or PostgreSQL database (--db: a file or a
// postgres:// URL; default TZ_REGISTRY_DB, else var/registry.sqlite): import and
// export CSV/GeoJSON, list, show, set, retire, accept discovered devices.
// Plain text for people, --json for machines.
import type { Command } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { extname, resolve } from 'node:path';
import { CliError, fileToCreate, int, profileDir } from '../command-kit.ts';
import type { ImportReport, RecordKind, RegistryStore } from '../../registry/index.ts';

const DEFAULT_DB = process.env.TZ_REGISTRY_DB ?? 'var/registry.sqlite';

interface Common { db: string; json?: boolean; keyFile?: string; by?: string }

function common(cmd: Command): Command {
  return cmd
    .option('--db <file|url>', 'registry SQLite file or postgres:// URL (env TZ_REGISTRY_DB)', DEFAULT_DB)
    .option('--key-file <file>', 'registry key file sealing LoRa keys (or env TZ_REGISTRY_KEY / TZ_REGISTRY_KEY_FILE)')
    .option('--json', 'JSON output');
}

async function openStore(program: Command, opts: Common, create = false): Promise<RegistryStore> {
  const { openRegistry, RegistryKey } = await import('../../registry/index.ts');
  const { isPostgresUrl } = await import('../../service-kit/index.ts');
  const { loadProfiles } = await import('../../device-profiles/index.ts');
  const options = { profiles: loadProfiles(profileDir(program)), key: RegistryKey.load({ keyFile: opts.keyFile }) };
  if (isPostgresUrl(opts.db)) return openRegistry(opts.db, options);
  const path = resolve(opts.db);
  if (!create && !existsSync(path)) throw new CliError(`no registry at ${path}: import devices first (tianzhong devices import <file>) or pass --db`);
  return openRegistry(create ? fileToCreate(opts.db) : path, options);
}

/** Where the registry is, for messages: a URL without its password. */
function shownDb(db: string): string {
  return db.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
}

function by(opts: Common): string {
  return opts.by ?? `cli:${userInfo().username}`;
}

/** `key=value` arguments as a flat record (`key=` clears the field). */
function assignments(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`"${pair}" is not key=value (e.g. district=yicheng, tags="a;b", state=active)`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** Lines of a record for people: `key: value`, empty fields left out. */
function describe(record: object): string {
  return Object.entries(record)
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0))
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('\n');
}

async function run<T>(work: () => T | Promise<T>): Promise<T> {
  const { isTzError } = await import('../../service-kit/index.ts');
  try {
    return await work();
  } catch (err) {
    if (isTzError(err, 'TZ_REGISTRY_INVALID')) {
      const problems = (err.details.problems as Array<{ column: string; problem: string }> | undefined) ?? [];
      throw new CliError(`${err.message.split(':')[1]?.trim() ?? 'invalid'} — fix these and try again:${problems.map((p) => `\n  ${p.column}: ${p.problem}`).join('')}`);
    }
    if (isTzError(err, 'TZ_REGISTRY_NOT_FOUND')) throw new CliError(`${err.message.replace(/^TZ_REGISTRY_NOT_FOUND: /, '')} (see the list command)`);
    if (isTzError(err, 'TZ_REGISTRY_TRANSITION') || isTzError(err, 'TZ_REGISTRY_KEY')) throw new CliError(err.message.replace(/^TZ_[A-Z_]+: /, ''));
    throw err;
  }
}

/** Progress for a long import: a bar on a terminal, plain lines (every 10 %) otherwise. */
async function importProgress(): Promise<{ update: (phase: string, done: number, total: number) => void; stop: () => void }> {
  if (process.stderr.isTTY) {
    const { default: cliProgress } = await import('cli-progress');
    let bar: InstanceType<typeof cliProgress.SingleBar> | undefined;
    let current = '';
    return {
      update(phase, done, total) {
        if (phase !== current) {
          bar?.stop();
          current = phase;
          bar = new cliProgress.SingleBar({ format: `${phase.padEnd(8)} [{bar}] {percentage}% {value}/{total} rows`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
          bar.start(total, 0);
        }
        bar?.update(done);
      },
      stop: () => bar?.stop(),
    };
  }
  let lastTenth = new Map<string, number>();
  return {
    update(phase, done, total) {
      const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
      if ((lastTenth.get(phase) ?? -1) < tenth) {
        lastTenth.set(phase, tenth);
        console.error(`${phase}: ${done}/${total} rows`);
      }
    },
    stop: () => { lastTenth = new Map(); },
  };
}

function registerKind(program: Command, kind: RecordKind): void {
  const singular = kind.slice(0, -1);
  const group = program.command(kind).description(
    kind === 'devices' ? 'registered devices: import/export CSV or GeoJSON, list, show, set, retire, accept discovered ones'
      : kind === 'assets' ? 'assets devices are mounted on (poles, shafts; nestable): import/export, list, show, set, retire'
        : 'gateways: import/export, list, show, set (autoAccept=true accepts reported devices at once), retire',
  );

  common(group.command('import <file>').description(`create or update ${kind} from a CSV or GeoJSON file; a file with any problem applies nothing unless --apply-valid`))
    .option('--format <format>', 'csv | geojson (default: from the file name)')
    .option('--apply-valid', 'write the valid rows even when others have problems')
    .option('--by <who>', 'who imports (kept in the lifecycle history)')
    .action(async (file: string, opts: Common & { format?: string; applyValid?: boolean }) => {
      const format = opts.format ?? (/\.(geo)?json$/i.test(extname(file)) ? 'geojson' : 'csv');
      if (format !== 'csv' && format !== 'geojson') throw new CliError(`--format must be csv or geojson, not "${format}"`);
      let text: string;
      try {
        text = readFileSync(resolve(file), 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
      }
      const store = await openStore(program, opts, true);
      const { importFile, formatReport } = await import('../../registry/index.ts');
      const progress = await importProgress();
      let report: ImportReport;
      try {
        report = await run(() => importFile(store, { kind, format, text, applyValid: opts.applyValid, by: by(opts), progress: (phase, done, total) => progress.update(phase, done, total) }));
      } finally {
        progress.stop();
        await store.close();
      }
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatReport(report));
      if (report.problems.length > 0) process.exitCode = report.applied ? 2 : 1;
    });

  common(group.command('export').description(`all ${kind} as CSV or GeoJSON (the import columns; LoRa keys are never exported)`))
    .option('--format <format>', 'csv | geojson', 'csv')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (opts: Common & { format: string; out?: string }) => {
      if (opts.format !== 'csv' && opts.format !== 'geojson') throw new CliError(`--format must be csv or geojson, not "${opts.format}"`);
      const store = await openStore(program, opts);
      const { exportFile } = await import('../../registry/index.ts');
      let text: string;
      try {
        text = await exportFile(store, { kind, format: opts.format });
      } finally {
        await store.close();
      }
      if (opts.out) {
        writeFileSync(fileToCreate(opts.out), text);
        console.error(`wrote ${opts.out}`);
      } else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    });

  const list = common(group.command('list').description(`${kind} in the registry${kind === 'devices' ? ' (--state discovered: reported by gateways, waiting to be accepted)' : ''}`))
    .option('--district <district>', 'only this district')
    .option('--state <state>', 'only this state')
    .option('--tag <tag>', 'only with this tag')
    .option('--limit <n>', 'at most this many', int(1, 10_000_000), 1000);
  if (kind === 'devices') list.option('--gateway <id>', 'only devices of this gateway').option('--class <class>', 'only this device class').option('--grid <cell>', 'only this grid cell');
  if (kind === 'assets') list.option('--kind <kind>', 'only this kind').option('--parent <id>', 'only children of this asset');
  list.action(async (opts: Common & { district?: string; state?: string; tag?: string; limit: number; gateway?: string; class?: string; grid?: string; kind?: string; parent?: string }) => {
    const store = await openStore(program, opts);
    try {
      if (kind === 'devices') {
        const { LIFECYCLE_STATES } = await import('../../registry/index.ts');
        if (opts.state && !(LIFECYCLE_STATES as readonly string[]).includes(opts.state)) throw new CliError(`--state must be one of ${LIFECYCLE_STATES.join(', ')}`);
        const devices = await store.listDevices({ gatewayId: opts.gateway, class: opts.class, district: opts.district, gridCell: opts.grid, state: opts.state as never, tag: opts.tag, limit: opts.limit });
        if (opts.json) console.log(JSON.stringify(devices, null, 2));
        else for (const d of devices) console.log([d.id, d.class, d.gatewayId, d.state, d.transport?.kind ?? '-', d.district ?? '-', d.gridCell ?? '-'].join('\t'));
      } else if (kind === 'assets') {
        const assets = await store.listAssets({ kind: opts.kind, district: opts.district, parentAssetId: opts.parent, state: opts.state as never, tag: opts.tag, limit: opts.limit });
        if (opts.json) console.log(JSON.stringify(assets, null, 2));
        else for (const a of assets) console.log([a.id, a.kind, a.parentAssetId ?? '-', a.state, a.district ?? '-', a.name ?? ''].join('\t'));
      } else {
        const gateways = await store.listGateways({ district: opts.district, state: opts.state as never, tag: opts.tag, limit: opts.limit });
        if (opts.json) console.log(JSON.stringify(gateways, null, 2));
        else for (const g of gateways) console.log([g.id, g.state, g.autoAccept ? 'auto-accept' : 'manual-accept', `config v${g.reportedConfigVersion ?? '-'}`, `${await store.countDevices({ gatewayId: g.id })} devices`, g.name ?? ''].join('\t'));
      }
    } finally {
      await store.close();
    }
  });

  common(group.command('show <id>').description(`one ${singular}${kind === 'devices' ? ' with its lifecycle history' : ''}`)).action(async (id: string, opts: Common) => {
    const store = await openStore(program, opts);
    try {
      const record = kind === 'devices' ? await store.getDevice(id) : kind === 'assets' ? await store.getAsset(id) : await store.getGateway(id);
      if (!record) throw new CliError(`no ${singular} "${id}" in ${shownDb(opts.db)} (tianzhong ${kind} list)`);
      const history = kind === 'devices' ? await store.history(id) : [];
      if (opts.json) console.log(JSON.stringify(kind === 'devices' ? { ...record, history } : record, null, 2));
      else {
        console.log(describe(record));
        if (history.length) console.log(`history:\n${history.map((h) => `  ${h.at}  ${h.from ?? '(new)'} → ${h.to}  by ${h.by}${h.note ? `  (${h.note})` : ''}`).join('\n')}`);
      }
    } finally {
      await store.close();
    }
  });

  common(group.command('set <id> <assignments...>').description(`change fields of a ${singular}: key=value using the import columns (key= clears${kind === 'devices' ? '; state=active moves it through the lifecycle' : ''})`))
    .option('--by <who>', 'who changes it (kept in the lifecycle history)')
    .action(async (id: string, pairs: string[], opts: Common) => {
      const patch = assignments(pairs);
      const store = await openStore(program, opts);
      try {
        const updated = await run(async () => (kind === 'devices' ? (await store.patchDevice(id, patch, by(opts))).device : kind === 'assets' ? store.patchAsset(id, patch) : store.patchGateway(id, patch)));
        console.log(opts.json ? JSON.stringify(updated, null, 2) : `${singular} ${id} updated\n${describe(updated)}`);
      } finally {
        await store.close();
      }
    });

  common(group.command('retire <id>').description(`retire a ${singular} (kept for the record)`))
    .option('--note <text>', 'why')
    .option('--by <who>', 'who retires it')
    .action(async (id: string, opts: Common & { note?: string }) => {
      const store = await openStore(program, opts);
      try {
        const retired = await run(() => (kind === 'devices' ? store.retireDevice(id, by(opts), opts.note ?? null) : kind === 'assets' ? store.retireAsset(id) : store.retireGateway(id)));
        console.log(opts.json ? JSON.stringify(retired, null, 2) : `${singular} ${id} retired`);
      } finally {
        await store.close();
      }
    });

  if (kind === 'devices') {
    common(group.command('accept <id> [assignments...]').description('accept a discovered device (reported by a gateway, not registered): optional key=value fields complete its record; state= planned|installed|active (default active)'))
      .option('--by <who>', 'who accepts it')
      .action(async (id: string, pairs: string[], opts: Common) => {
        const store = await openStore(program, opts);
        try {
          const accepted = await run(() => store.acceptDevice(id, by(opts), assignments(pairs)));
          console.log(opts.json ? JSON.stringify(accepted, null, 2) : `device ${id} accepted: ${accepted.state}`);
        } finally {
          await store.close();
        }
      });
  }
}

export function registerRegistryCommands(program: Command): void {
  for (const kind of ['devices', 'assets', 'gateways'] as const) registerKind(program, kind);
}
