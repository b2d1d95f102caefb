// `tianzhong sim`: the simulated city — Modbus TCP buses, optional RTU buses on
// pty pairs, physics on a compressible clock, and scenario files.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { writeFileSync } from 'node:fs';
import { stringify as toYaml, Document as YamlDocument, type YAMLSeq } from 'yaml';
import { stringify as toCsv } from 'csv-stringify/sync';
import { CliError, fileToCreate, int, profileDir } from '../command-kit.ts';
import { untilSignal } from '../signals.ts';
import { defaultTimeZone } from '../../service-kit/index.ts';

const positive = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 100_000) throw new InvalidArgumentError('expected a number above 0 and at most 100000');
  return n;
};

export function registerSimCommands(program: Command): void {
  program
    .command('sim')
    .description('run a simulated city of field devices (Modbus TCP, Modbus RTU on pty pairs), optionally playing a scenario')
    .option('--devices <n>', 'devices (four classes, fixed mix)', int(4, 20_000), 200)
    .option('--seed <n>', 'seed: the same seed gives the same city and values at the same simulated times', int(0, 2 ** 31), 1)
    .option('--scenario <name|file>', 'play a scenario: rainstorm, night-leak, vandalism-spree, district-outage, or a YAML file')
    .option('--list-scenarios', 'list the built-in scenarios and exit')
    .option('--speed <k>', 'time compression: simulated seconds per wall second (default 1, or the scenario\'s)', positive)
    .option('--start <time>', 'simulated start, city-local (2026-07-20T17:30) or ISO with offset (default now / the scenario\'s)')
    .option('--time-zone <zone>', 'the city\'s IANA time zone (lamps, demand, daily counters; TZ_CITY_TIME_ZONE)', defaultTimeZone())
    .option('--step <seconds>', 'physics step in simulated seconds', int(1, 3600), 30)
    .option('--devices-per-bus <n>', 'unit ids per simulated RS-485 bus (one TCP port each)', int(1, 247), 50)
    .option('--rtu-buses <n>', 'serve this many buses as Modbus RTU over socat pty pairs', int(0, 64), 0)
    .option('--lora-meters <n>', 'water meters that report over LoRaWAN (ABP) instead of Modbus (default 0, or the scenario\'s)', int(0, 20_000))
    .option('--lora-server <host:port>', 'send the LoRa meters\' Semtech UDP to this network server (an edge agent\'s LoRa port)')
    .option('--write-config <file>', 'write an edge-agent config for these devices')
    .option('--write-devices <file>', 'write the devices with coordinates, address, district and grid cell for the registry import (.csv, or .geojson)')
    .option('--registry-db <file|url>', 'register the simulated Modbus TCP devices (street positions, assets, the --gateway-id gateway) in this registry file or postgres:// URL, as npm start does')
    .option('--city <file>', 'city plan GeoJSON: districts, grid cells, streets (default env TZ_CITY_BOUNDARIES, else the shipped schematic 驻马店)')
    .option('--write-profiles <dir>', 'write the profiles with rule windows divided by --speed (for a compressed run of the pipeline)')
    .option('--check <rulesUrl>', 'when the scenario ends, check its expected alarms (and cases) at this rules API and exit 0/1 (token from env TZ_API_TOKEN)')
    .option('--gateway-id <id>', 'gateway id for the written config', 'gw-0001')
    .option('--broker <url>', 'broker URL for the written config', 'mqtt://127.0.0.1:1883')
    .action(async (opts) => {
      const sim = await import('../../firmware-sim/index.ts');
      const { loadProfiles } = await import('../../device-profiles/index.ts');
      if (opts.listScenarios) {
        for (const name of sim.builtinScenarios()) {
          const s = sim.loadScenario(name);
          console.log(`${name.padEnd(18)} ${s.title} — ${s.duration / 3600} h from ${s.start}, speed ${s.speed}, at least ${s.minDevices} devices`);
        }
        return;
      }
      const profiles = loadProfiles(profileDir(program));
      const places = await import('../../registry/index.ts');
      const cityMap = places.loadCityMap(opts.city);
      const scenario = opts.scenario ? sim.loadScenario(opts.scenario, profiles) : undefined;
      if (opts.check && !scenario) throw new CliError('--check needs --scenario (it checks what the scenario says it causes)');
      const speed: number = opts.speed ?? scenario?.speed ?? 1;
      if (opts.writeProfiles) {
        sim.writeCompressedProfiles(speed, opts.writeProfiles, profileDir(program));
        console.error(`wrote profiles with rule windows ÷${speed} to ${opts.writeProfiles} (start the pipeline with --profiles ${opts.writeProfiles})`);
      }
      const city = await sim.startSimulatedDistrict({
        profiles, devices: opts.devices, seed: opts.seed, speed, startTime: opts.start, timeZone: opts.timeZone, stepSeconds: opts.step,
        devicesPerBus: opts.devicesPerBus, rtuBuses: opts.rtuBuses, scenario, loraMeters: opts.loraMeters, sites: places.streetSites(cityMap),
      });
      if (opts.loraServer) {
        const [, host, port] = /^(.+):(\d+)$/.exec(String(opts.loraServer)) ?? [];
        if (host === undefined || port === undefined) throw new CliError(`--lora-server wants host:port, got "${opts.loraServer}"`);
        await city.attachLora(host, Number(port));
        console.error(`LoRa meters send to ${opts.loraServer}`);
      }
      const tcp = new Set(city.devices.filter((d) => d.transport === 'tcp').map((d) => `${d.host}:${d.port}`));
      const rtu = new Set(city.devices.flatMap((d) => (d.transport === 'rtu' && d.serialPath ? [d.serialPath] : [])));
      console.error(`simulating ${city.devices.length} devices in ${city.districts.length} districts behind ${city.gateways.length} gateways: ${tcp.size} Modbus TCP buses (${[...tcp].slice(0, 4).join(', ')}${tcp.size > 4 ? ', …' : ''})${rtu.size ? `, ${rtu.size} RTU buses (${[...rtu].join(', ')})` : ''}; speed ×${speed}, seed ${opts.seed}`);
      if (opts.writeConfig) {
        const lines = [...rtu].map((path, i) => ({ name: `rtu-${i + 1}`, path, baudRate: 9600 }));
        const lineOf = (path: string | undefined): string => {
          const line = lines.find((l) => l.path === path);
          if (!line) throw new CliError(`an RTU device without a serial line (${String(path)})`);
          return line.name;
        };
        const config = {
          gatewayId: opts.gatewayId, brokerUrl: opts.broker, username: opts.gatewayId, dataDir: `var/edge-agent/${opts.gatewayId}`,
          ...(lines.length ? { serialLines: lines } : {}),
          ...(city.devices.some((d) => d.lora || d.loraOtaa) ? { lora: { host: '127.0.0.1', port: 1700 } } : {}),
          devices: city.devices.map((d) => ({
            deviceId: d.deviceId, profile: d.profile, district: d.district,
            ...(d.lora ? { lora: d.lora } : d.loraOtaa ? { lora: d.loraOtaa } : { modbus: d.transport === 'rtu' ? { line: lineOf(d.serialPath), unitId: d.unitId } : { host: d.host, port: d.port, unitId: d.unitId } }),
          })),
        };
        // Session keys of simulated meters only: they are generated from the seed, not anyone's secrets.
        // Each device's place as a comment: the edge agent has no use for it (its config is strict), people reading the file do; --write-devices has it as data.
        const doc = new YamlDocument(config);
        const items = (doc.get('devices') as YAMLSeq).items as Array<{ commentBefore?: string | null }>;
        city.devices.forEach((d, i) => {
          const item = items[i];
          if (d.site && item) item.commentBefore = ` ${d.site.address} · ${d.site.gridCell} · ${d.site.lat},${d.site.lon}`;
        });
        writeFileSync(fileToCreate(opts.writeConfig), `# written by tianzhong sim; the password comes from TZ_GATEWAY_PASSWORD\n${doc.toString()}`, { mode: 0o600 });
        console.error(`wrote ${opts.writeConfig}`);
      }
      if (opts.writeDevices) {
        const file = String(opts.writeDevices);
        const text = /\.(geo)?json$/i.test(file)
          ? `${JSON.stringify(places.cityDevicesGeoJson(city.devices), null, 1)}\n`
          : toCsv(places.cityDeviceRows(city.devices), { header: true, columns: [...places.CITY_DEVICE_COLUMNS] });
        writeFileSync(fileToCreate(file), text);
        console.error(`wrote ${file}: ${city.devices.length} devices in ${cityMap.city.name} (${cityMap.schematic ? 'schematic plan' : cityMap.source})`);
      }
      if (opts.registryDb) {
        const { seedSimulatedRegistry } = await import('../sim-registry.ts');
        const target = String(opts.registryDb);
        const store = await places.openRegistry(target, { profiles, key: places.RegistryKey.load() });
        try {
          const seeded = await seedSimulatedRegistry(store, city.devices, { gatewayId: opts.gatewayId, by: 'tianzhong-sim' });
          // A URL is not echoed: it may carry a password.
          console.error(`registry ${store.kind === 'postgres' ? '(PostgreSQL)' : target}: ${seeded.devices.rows} devices on ${opts.gatewayId} (${seeded.devices.created} new, ${seeded.devices.updated} changed), ${seeded.assets.rows} assets${seeded.retired.length ? `, ${seeded.retired.length} of earlier runs retired` : ''}`);
        } finally {
          await store.close();
        }
      }

      let finished = false;
      let checkTimer: NodeJS.Timeout | undefined;
      const progress = setInterval(() => {
        const t = city.cityTime();
        const p = city.scenario();
        const clock = `${t.date} ${String(Math.floor(t.hour)).padStart(2, '0')}:${String(Math.floor((t.hour % 1) * 60)).padStart(2, '0')}`;
        const stats = city.stats();
        console.error(`${clock} city time · ${p ? `${p.name} ${Math.round((100 * p.offsetS) / p.durationS)} % (${p.applied}/${p.total} steps) · ` : ''}${stats.requestsServed} requests served${stats.lagSteps ? ` · ${stats.lagSteps} steps behind` : ''}`);
        if (p?.finished && !finished) {
          finished = true;
          const run = city.scenarioRun();
          console.error(`scenario ${p.name} finished; it should have caused:\n${toYaml(run?.expectations)}`);
          if (opts.check && run) checkTimer = setTimeout(() => void check(opts.check, run.expectations), 100);
        }
      }, 5000);
      progress.unref();

      const districtOf = new Map(city.devices.map((d) => [d.deviceId, d.district]));
      const check = async (rulesUrl: string, expected: NonNullable<ReturnType<typeof city.scenarioRun>>['expectations']): Promise<void> => {
        const get = async (path: string, key: string): Promise<Array<Record<string, unknown>> | undefined> => {
          const token = process.env.TZ_API_TOKEN;
          const res = await fetch(`${rulesUrl.replace(/\/$/, '')}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
          if (res.status === 404) return undefined;
          if (!res.ok) throw new CliError(`GET ${path} at ${rulesUrl} answered ${res.status}`);
          const body = (await res.json()) as Record<string, unknown>;
          return (Array.isArray(body) ? body : body[key]) as Array<Record<string, unknown>>;
        };
        const alarms = (await get('/api/v1/alarms?limit=1000', 'alarms')) ?? [];
        const cases = await get('/api/v1/cases?limit=1000', 'cases');
        const problems = sim.checkExpectations(cases ? expected : { ...expected, cases: [] }, {
          alarms: alarms.map((a) => ({ ruleId: String(a.ruleId), deviceId: String(a.deviceId) })),
          cases: (cases ?? []).map((c) => ({ deviceId: String(c.assetId ?? c.deviceId), category: c.category === undefined ? undefined : String(c.category) })),
        }, (id) => districtOf.get(id));
        if (!cases) console.error(`note: ${rulesUrl} serves no /api/v1/cases; case expectations not checked`);
        console.log(problems.length ? `scenario check FAILED:\n${problems.join('\n')}` : 'scenario check passed: every expected alarm and case is there');
        process.exitCode = problems.length ? 1 : 0;
        process.kill(process.pid, 'SIGTERM');
      };

      await untilSignal(async () => {
        clearInterval(progress);
        if (checkTimer) clearTimeout(checkTimer);
        await city.stop();
      });
    });
}
