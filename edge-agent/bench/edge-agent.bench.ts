// One edge agent polling N simulated Modbus TCP devices every second and
// publishing to a real (Aedes) broker, against a bare modbus-serial polling
// loop over the same slaves. Agent and peer each run in their own process;
// CPU and RSS are read from /proc for both, readings/s counted at an MQTT
// subscriber (agent) and in the loop (peer).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { stringify as toYaml } from 'yaml';
import { loadProfiles } from '../../device-profiles/index.ts';
import { startSimulatedDistrict } from '../../firmware-sim/index.ts';
import { decodeUplinkBatch, topics } from '../../proto/index.ts';
import { markdownTable, type Bench } from '../../service-kit/index.ts';
import { procUsage } from './proc-usage.ts';

const root = new URL('../..', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const bench: Bench = {
  name: 'edge-agent-polling',
  title: 'Edge agent: 1,000 Modbus TCP devices polled every second',
  async run({ quick, progress }) {
    const devices = quick ? 200 : 1000;
    const warmS = quick ? 3 : 8;
    const measureS = quick ? 5 : 20;
    const dir = mkdtempSync(join(tmpdir(), 'tz-bench-edge-'));
    const broker = await Aedes.createBroker();
    const server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const district = await startSimulatedDistrict({ profiles: loadProfiles(), devices, seed: 3, devicesPerBus: 50, tickMs: 3_600_000 });
    const config = {
      gatewayId: 'gw-bench', brokerUrl: `mqtt://127.0.0.1:${port}`, username: 'gw-bench', dataDir: join(dir, 'agent'),
      devices: district.devices.map((d) => ({ deviceId: d.deviceId, profile: d.profile, district: d.district, modbus: { host: d.host, port: d.port, unitId: d.unitId } })),
      pollIntervalMs: 1000, requestTimeoutMs: 1000,
    };
    const file = join(dir, 'gw.yaml');
    writeFileSync(file, toYaml(config));
    let received = 0;
    const sub = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: 'bench-sub' });
    sub.on('message', (_t, payload) => void (received += decodeUplinkBatch(payload).readings.length));
    await new Promise<void>((resolve) => sub.once('connect', () => resolve()));
    await sub.subscribeAsync(topics.batch('gw-bench'), { qos: 1 });
    try {
      progress(`agent: ${devices} devices, ${warmS} s warm-up, ${measureS} s measured`);
      // TZ_BENCH_AGENT_NODE_ARGS / TZ_BENCH_PEER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p") profile either process under this load.
      const nodeArgs = (name: string) => (process.env[name] ?? '').split(' ').filter((a) => a !== '');
      const agentNodeArgs = nodeArgs('TZ_BENCH_AGENT_NODE_ARGS');
      const agent = spawn(process.execPath, [...agentNodeArgs, join(root, 'bin/tianzhong.js'), 'edge-agent', '--config', file], { cwd: root, stdio: 'ignore', env: { ...process.env, TZ_LOG_LEVEL: 'error', TZ_GATEWAY_PASSWORD: 'bench' } });
      // Warm-up counts from the agent's first batch: on a loaded machine its start-up (loading, transpiling) took
      // most of a fixed warm-up, and the measured window began before it polled. The peer's rate is its own run's too.
      for (let i = 0; received === 0 && i < 600; i++) await sleep(100);
      await sleep(warmS * 1000);
      const agentPid = agent.pid;
      if (agentPid === undefined) throw new Error('the edge agent process has no pid');
      const a0 = procUsage(agentPid);
      const r0 = received;
      const t0 = Date.now();
      await sleep(measureS * 1000);
      const a1 = procUsage(agentPid);
      const agentS = (Date.now() - t0) / 1000;
      const agentRate = (received - r0) / agentS;
      agent.kill('SIGTERM');
      await new Promise((r) => agent.once('exit', r));

      progress('peer: bare modbus-serial loop over the same slaves');
      const peer = spawn(process.execPath, [...nodeArgs('TZ_BENCH_PEER_NODE_ARGS'), '--import', 'tsx', join(root, 'edge-agent/bench/raw-poller.ts'), file, String(warmS + measureS)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      peer.stdout.on('data', (d: Buffer) => void (out += d.toString()));
      await sleep(warmS * 1000);
      const peerPid = peer.pid;
      if (peerPid === undefined) throw new Error('the peer poller process has no pid');
      const p0 = procUsage(peerPid);
      const pt0 = Date.now();
      await sleep(measureS * 1000 - 200);
      const p1 = procUsage(peerPid);
      const peerS = (Date.now() - pt0) / 1000;
      await new Promise((r) => peer.once('exit', r));
      const [last = ''] = out.trim().split('\n').slice(-1);
      const { polls } = JSON.parse(last) as { polls: number };
      const peerRate = polls / (warmS + measureS);
      const agentCpu = ((a1.cpuS - a0.cpuS) / agentS) * 100;
      const peerCpu = ((p1.cpuS - p0.cpuS) / peerS) * 100;
      const f = (n: number, d = 0) => n.toFixed(d);
      return [
        `${devices} simulated Modbus TCP devices (${Math.ceil(devices / 50)} buses of 50 unit ids, four profiles, ${district.devices.length} devices), poll interval 1 s, ${measureS} s measured after ${warmS} s warm-up (the agent's from its first batch). ` +
          'Agent: `tianzhong edge-agent` in its own process, publishing QoS 1 batches through its SQLite disk queue to an Aedes broker; readings/s counted at an MQTT subscriber. ' +
          'Peer: a bare modbus-serial loop over the same slaves and register blocks (`edge-agent/bench/raw-poller.ts`), no decoding, batching, queue or MQTT — the raw limit. ' +
          'CPU (user+system, % of one core) and RSS read from /proc for both processes. The simulator and broker run in the benchmark process.',
        '',
        markdownTable(['measure', 'edge agent', 'bare modbus-serial loop', 'ratio'], [
          ['readings/s', f(agentRate), f(peerRate), `${(agentRate / peerRate).toFixed(2)}×`],
          ['CPU % of one core', f(agentCpu, 1), f(peerCpu, 1), `${(agentCpu / peerCpu).toFixed(2)}×`],
          ['RSS MB', f(a1.rssMb), f(p1.rssMb), `${(a1.rssMb / p1.rssMb).toFixed(2)}×`],
          ['CPU ms per reading', (((a1.cpuS - a0.cpuS) * 1000) / (agentRate * agentS)).toFixed(3), (((p1.cpuS - p0.cpuS) * 1000) / (peerRate * peerS)).toFixed(3), ''],
        ]),
        // What the profiles of the agent under this load showed, kept with the section on every run.
        readFileSync(new URL('./edge-agent.profile.md', import.meta.url), 'utf8').trimEnd(),
      ].join('\n');
    } finally {
      await sub.endAsync(true);
      await district.stop();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
