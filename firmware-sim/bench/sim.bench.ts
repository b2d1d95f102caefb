import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import modbusSerial from 'modbus-serial';
import { loadProfiles, planReads, type ReadBlock } from '../../device-profiles/index.ts';
import { markdownTable, processCpuSeconds, processRssMiB, type Bench } from '../../service-kit/index.ts';

// sim-scale: 20,000 simulated devices in one process, every device polled once
// per its profile's report interval (manhole covers and meters every 15 min,
// poles and toilets every minute) by bare modbus-serial clients, one
// connection per bus as an edge agent would. Measured from /proc: CPU share of
// one core and RSS of the serving process. Peer: the same layout and poll load
// against minimal modbus-serial ServerTCPs answering constant registers — the
// transport's own cost, no physics, no register image.

const ModbusRTU = modbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;
const CHILD = fileURLToPath(new URL('./sim-process.ts', import.meta.url));
/** The sim's bus layout, handed to the peer so both serve the same buses and unit ids. */
const LAYOUT_FILE = join(tmpdir(), `tz-sim-scale-layout-${process.pid}.json`);

interface Layout { startupMs: number; layout: Array<{ port: number; unitId: number; profile: string }> }

async function startChild(mode: 'sim' | 'peer', devices: number, perBus: number, speed: number): Promise<{ child: ChildProcess; layout: Layout }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, String(devices), String(perBus), String(speed), LAYOUT_FILE], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TZ_LOG_LEVEL: 'warn' } });
  const { stdout } = child;
  if (!stdout) throw new Error(`${mode} process has no stdout pipe`);
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${mode} process exited (${code}) before it was ready`)));
    createInterface({ input: stdout }).once('line', resolve);
  });
  return { child, layout: JSON.parse(line) as Layout };
}

interface LoadResult { polls: number; requests: number; errors: number; cpuShare: number; rss: number; startupMs: number }

async function measure(mode: 'sim' | 'peer', devices: number, perBus: number, speed: number, seconds: number, progress: (m: string) => void): Promise<LoadResult> {
  const { child, layout } = await startChild(mode, devices, perBus, speed);
  if (mode === 'sim') writeFileSync(LAYOUT_FILE, JSON.stringify(layout.layout));
  const profiles = loadProfiles();
  const plans = new Map(['manhole-cover', 'smart-pole', 'water-meter', 'public-toilet'].map((p) => [p, { blocks: planReads(profiles.require(p)), intervalMs: profiles.require(p).reportIntervalSeconds * 1000 }]));
  const clients = new Map<number, { c: ModbusRTU; chain: Promise<unknown> }>();
  try {
    for (const port of new Set(layout.layout.map((d) => d.port))) {
      const c = new ModbusRTU();
      await c.connectTCP('127.0.0.1', { port });
      c.setTimeout(2000);
      clients.set(port, { c, chain: Promise.resolve() });
    }
    // Each device at its own phase of its interval, so the load is spread evenly.
    const due = layout.layout.map((d, i) => {
      const plan = plans.get(d.profile);
      const bus = clients.get(d.port);
      if (!plan || !bus) throw new Error(`device ${d.unitId} on port ${d.port}: ${plan ? 'no client for its bus' : `no read plan for ${d.profile}`}`);
      return { ...d, plan, bus, next: Date.now() + ((i * 7919) % 1000) / 1000 * plan.intervalMs };
    });
    let polls = 0;
    let requests = 0;
    let errors = 0;
    const read = (c: ModbusRTU, b: ReadBlock): Promise<unknown> => {
      switch (b.table) {
        case 'coil': return c.readCoils(b.start, b.count);
        case 'discrete': return c.readDiscreteInputs(b.start, b.count);
        case 'holding': return c.readHoldingRegisters(b.start, b.count);
        case 'input': return c.readInputRegisters(b.start, b.count);
      }
    };
    const poll = (d: (typeof due)[number]): void => {
      const { bus } = d;
      bus.chain = bus.chain.then(async () => {
        bus.c.setID(d.unitId);
        for (const b of d.plan.blocks) {
          requests++;
          await read(bus.c, b).catch(() => errors++);
        }
        polls++;
      });
    };
    const pid = child.pid;
    if (pid === undefined) throw new Error(`${mode} process has no pid`);
    const cpu0 = processCpuSeconds(pid);
    const t0 = Date.now();
    const end = t0 + seconds * 1000;
    let lastReport = t0;
    while (Date.now() < end) {
      const now = Date.now();
      for (const d of due) {
        if (d.next <= now) {
          poll(d);
          d.next += d.plan.intervalMs;
        }
      }
      if (now - lastReport > 10_000) {
        progress(`${mode}: ${polls} polls, ${Math.round((now - t0) / 1000)} s of ${seconds}`);
        lastReport = now;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await Promise.all([...clients.values()].map((b) => b.chain));
    const elapsed = (Date.now() - t0) / 1000;
    return { polls, requests, errors, cpuShare: (processCpuSeconds(pid) - cpu0) / elapsed, rss: processRssMiB(pid), startupMs: layout.startupMs };
  } finally {
    for (const b of clients.values()) await new Promise<void>((r) => b.c.close(() => r()));
    child.kill('SIGTERM');
  }
}

export const bench: Bench = {
  name: 'sim-scale',
  title: 'Simulated city at scale: 20,000 devices on one core',
  async run(ctx) {
    const devices = ctx.quick ? 2000 : 20_000;
    const seconds = ctx.quick ? 10 : 60;
    const perBus = 50;
    const rows: string[][] = [];
    const results: LoadResult[] = [];
    for (const [label, mode, speed] of [['Tianzhong sim, speed ×1', 'sim', 1], ['Tianzhong sim, speed ×60 (physics 60× busier)', 'sim', 60], ['peer: modbus-serial ServerTCP, constant registers', 'peer', 1]] as const) {
      ctx.progress(`${label}: ${devices} devices, ${seconds} s`);
      const r = await measure(mode, devices, perBus, speed, seconds, ctx.progress);
      results.push(r);
      rows.push([label, `${(r.startupMs / 1000).toFixed(1)}`, `${(r.polls / seconds).toFixed(0)}`, `${(r.requests / seconds).toFixed(0)}`, String(r.errors), `${(r.cpuShare * 100).toFixed(1)} %`, `${r.rss.toFixed(0)}`]);
    }
    rmSync(LAYOUT_FILE, { force: true });
    // In the order measured: sim ×1, sim ×60, peer.
    const [sim, fast, peer] = results;
    if (!sim || !fast || !peer) throw new Error(`sim-scale measured ${results.length} of 3 servers`);
    const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');
    return [
      `Setup${ctx.quick ? " (--quick: 2,000 devices, 10 s)" : ""}: ${devices.toLocaleString('en')} devices (40 % manhole covers, 25 % poles, 20 % meters, 15 % toilets) on ${Math.ceil(devices / perBus)} Modbus TCP buses of ${perBus} unit ids, 30 s physics step. Load: bare modbus-serial clients in the bench process, one connection per bus, every device polled once per its profile interval (covers and meters 900 s, poles and toilets 60 s) with the profile's read plan (2–3 requests per poll), ${seconds} s measured. CPU and RSS of the serving process from /proc.`,
      '',
      markdownTable(['server', 'start-up (s)', 'polls/s', 'requests/s', 'errors', 'CPU (share of one core)', 'RSS (MiB)'], rows),
      '',
      `CPU ratio sim / peer: **${ratio(sim.cpuShare, peer.cpuShare)}** at speed ×1, ${ratio(fast.cpuShare, peer.cpuShare)} at ×60; RSS ratio ${ratio(sim.rss, peer.rss)}. The peer answers constants and has no physics, faults or register image; the sim's extra cost is its physics steps and per-request register encoding from the profile.`,
    ].join('\n');
  },
};
