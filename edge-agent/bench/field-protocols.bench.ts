// The field protocols' cost in the edge agent, next to Modbus: (1) the HJ 212
// server with 2,000 station connections, each pushing real-time data (time
// compressed: every 2 s instead of every minute); (2) a CJ/T 188 bus of 64
// water meters behind a transparent serial server, polled every 250 ms;
// (3) the peer, measured in the same run: 64 Modbus TCP devices polled at
// the same interval by the same agent. Each phase runs `tianzhong edge-agent` in its own
// process; its CPU comes from /proc, readings are counted at an MQTT
// subscriber, so "CPU per reading" includes the whole path (decode, report
// filter, Reading, SQLite queue, MQTT QoS 1).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { stringify as toYaml } from 'yaml';
import { loadProfiles } from '../../device-profiles/index.ts';
import { Hj212StationFleet, WaterMeterBus, startSimulatedDistrict } from '../../firmware-sim/index.ts';
import { decodeUplinkBatch, topics } from '../../proto/index.ts';
import { freePort } from '../../testing/index.ts';
import { markdownTable, type Bench } from '../../service-kit/index.ts';
import { procUsage } from './proc-usage.ts';

const root = new URL('../..', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface PhaseResult {
  label: string;
  readingsPerS: number;
  cpuPct: number;
  cpuMsPerReading: number;
  rssMb: number;
  rejects: number;
}

export const bench: Bench = {
  name: 'field-protocols',
  title: 'Edge agent: HJ 212 server (2,000 stations), CJ/T 188 bus (64 meters) vs Modbus polling',
  async run({ quick, progress }) {
    const stationCount = quick ? 400 : 2000;
    const pushEveryMs = 2000;
    /** Meters and Modbus devices: every 250 ms, so per-reading work dominates the agent's fixed costs (timers, status). */
    const pollMs = 250;
    const warmS = quick ? 3 : 6;
    const measureS = quick ? 5 : 15;
    const dir = mkdtempSync(join(tmpdir(), 'tz-bench-field-'));
    const broker = await Aedes.createBroker();
    const server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    let received = 0;
    const sub = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: 'bench-field-sub' });
    sub.on('message', (_t, payload) => void (received += decodeUplinkBatch(payload).readings.length));
    await new Promise<void>((resolve) => sub.once('connect', () => resolve()));
    await sub.subscribeAsync(topics.batch('gw-bench-field'), { qos: 1 });
    const base = { gatewayId: 'gw-bench-field', brokerUrl: `mqtt://127.0.0.1:${port}`, username: 'gw-bench-field', pollIntervalMs: 1000, requestTimeoutMs: 1000 };

    /** Runs one agent with `devices` while `load` drives it; measures after the warm-up. */
    async function phase(label: string, devices: unknown[], extra: Record<string, unknown>, load?: { start(): void; stop(): void }): Promise<PhaseResult> {
      const httpPort = await freePort();
      const file = join(dir, `${label.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(file, toYaml({ ...base, dataDir: join(dir, label.replace(/\W+/g, '-')), devices, http: { host: '127.0.0.1', port: httpPort }, ...extra }));
      const agent = spawn(process.execPath, [join(root, 'bin/tianzhong.js'), 'edge-agent', '--config', file], { cwd: root, stdio: 'ignore', env: { ...process.env, TZ_LOG_LEVEL: 'error', TZ_GATEWAY_PASSWORD: 'bench' } });
      try {
        // Started = /healthz answers 200 (HTTP up, inputs listening, broker session up); bounded.
        for (let i = 0; i < 150; i++) {
          const ok = await fetch(`http://127.0.0.1:${httpPort}/healthz`).then((r) => r.ok, () => false);
          if (ok) break;
          if (i === 149) throw new Error(`${label}: the agent did not become healthy in 30 s`);
          await sleep(200);
        }
        load?.start();
        await sleep(warmS * 1000);
        const agentPid = agent.pid;
        if (agentPid === undefined) throw new Error(`${label}: the agent process has no pid`);
        const a0 = procUsage(agentPid);
        const r0 = received;
        const t0 = Date.now();
        await sleep(measureS * 1000);
        const a1 = procUsage(agentPid);
        const s = (Date.now() - t0) / 1000;
        const n = received - r0;
        const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
        const rejects = text.split('\n').filter((l) => l.startsWith('tz_edge_field_rejects_total{')).reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
        load?.stop();
        return { label, readingsPerS: n / s, cpuPct: ((a1.cpuS - a0.cpuS) / s) * 100, cpuMsPerReading: ((a1.cpuS - a0.cpuS) * 1000) / Math.max(1, n), rssMb: a1.rssMb, rejects };
      } finally {
        agent.kill('SIGTERM');
        await new Promise((r) => agent.once('exit', r));
      }
    }

    const results: PhaseResult[] = [];
    try {
      // 1. HJ 212: stations connect, then push in slices so the load is even over the interval.
      const hj212Port = await freePort();
      const fleet = new Hj212StationFleet({ host: '127.0.0.1', port: hj212Port, stations: stationCount, intervalMs: pushEveryMs, seed: 5 });
      const stationDevices = fleet.stations.map((s, i) => ({ deviceId: `env-${i + 1}`, profile: 'environmental-station', district: 'yicheng', field: { transport: 'hj212', mn: s.mn } }));
      let ticker: NodeJS.Timeout | null = null;
      progress(`HJ 212: ${stationCount} stations, one packet each every ${pushEveryMs} ms`);
      results.push(await phase(`HJ 212 server, ${stationCount} stations`, stationDevices, { fieldProtocols: { hj212: { host: '127.0.0.1', port: hj212Port, maxConnections: stationCount + 10 } } }, {
        start() {
          void fleet.connect().then(() => {
            const slices = 20;
            let slice = 0;
            ticker = setInterval(() => {
              const now = Date.now();
              for (const [i, station] of fleet.stations.entries()) if (i % slices === slice) fleet.push(station, now);
              slice = (slice + 1) % slices;
            }, pushEveryMs / slices);
          });
        },
        stop() {
          if (ticker) clearInterval(ticker);
        },
      }));
      await fleet.stop();

      // 2. CJ/T 188: 64 meters on one transparent serial server.
      progress(`CJ/T 188: 64 water meters, polled every ${pollMs} ms`);
      const water = new WaterMeterBus({ meters: 64, seed: 5 });
      const wa = await water.bus.listenTcp();
      results.push(await phase('CJ/T 188 bus, 64 meters', water.meters.map((m, i) => ({ deviceId: `wm-${i + 1}`, profile: 'water-meter', district: 'yicheng', field: { transport: 'cjt188', host: wa.host, port: wa.port, address: m.address } })), { pollIntervalMs: pollMs, fieldProtocols: { interFrameDelayMs: 0 } }));
      await water.bus.close();

      // 3. Peer: 64 Modbus TCP devices, same agent, same interval.
      progress(`Modbus TCP peer: 64 devices, polled every ${pollMs} ms`);
      const district = await startSimulatedDistrict({ profiles: loadProfiles(), devices: 64, seed: 5, devicesPerBus: 64, tickMs: 3_600_000 });
      results.push(await phase('Modbus TCP, 64 devices (peer)', district.devices.map((d) => ({ deviceId: d.deviceId, profile: d.profile, district: d.district, modbus: { host: d.host, port: d.port, unitId: d.unitId } })), { pollIntervalMs: pollMs }));
      await district.stop();
    } finally {
      await sub.endAsync(true);
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
    const modbus = results.at(-1);
    if (!modbus) throw new Error('field-protocols measured no phase');
    const f = (n: number, d = 0) => n.toFixed(d);
    return [
      `Three phases, each \`tianzhong edge-agent\` in its own process publishing QoS 1 batches through its SQLite queue to an Aedes broker in the bench process; readings counted at an MQTT subscriber, ${measureS} s measured after ${warmS} s warm-up. ` +
        `HJ 212: ${stationCount} TCP connections (one per station, simulated in the bench process), each pushing a CN 2011 packet with five pollutants every ${pushEveryMs / 1000} s (30× a station's one-minute cadence), Flag 5 so every packet is answered 9014. ` +
        `CJ/T 188: 64 meters behind one transparent serial server (TCP), DI 901F every ${pollMs} ms each (one request at a time on the line). Peer in the same run: 64 simulated Modbus TCP devices (four profiles) polled every ${pollMs} ms by the same agent. ` +
        'CPU is user+system from /proc, per reading = per accepted frame (one HJ 212 packet or one meter poll = one reading). The machine is shared and noisy (2 cores, other agents running).',
      '',
      markdownTable(['phase', 'readings/s', 'agent CPU % of one core', 'CPU ms per reading', 'vs Modbus per reading', 'agent RSS MB', 'field rejects'], results.map((r) => [
        r.label, f(r.readingsPerS), f(r.cpuPct, 1), r.cpuMsPerReading.toFixed(3), `${(r.cpuMsPerReading / modbus.cpuMsPerReading).toFixed(2)}×`, f(r.rssMb), String(r.rejects),
      ])),
    ].join('\n');
  },
};
