// The field-protocol simulators answer real frames over TCP, built and read
// with the shared codecs: CJ/T 188 901F, DL/T 645 reads and the abnormal
// reply, a dead meter's silence.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Socket } from 'node:net';
import { cjt188ReadRequest, decodeCjt188, decodeDlt645, dlt645ReadRequest, readBcd, scanCjt188, scanDlt645, type FrameScan } from '../../device-profiles/index.ts';
import { startFieldSimulation, type FieldSimulation } from '../index.ts';

let sim: FieldSimulation;
test.before(async () => {
  sim = await startFieldSimulation({ waterMeters: 3, electricityMeters: 2, seed: 3 });
});
test.after(() => sim.stop());

/** One request over a fresh connection; the first whole frame back, or null after `waitMs` of silence. */
async function ask(port: number, request: Buffer, scan: (b: Buffer) => FrameScan, waitMs = 300): Promise<Buffer | null> {
  const socket = new Socket();
  await new Promise<void>((resolve) => socket.connect(port, '127.0.0.1', resolve));
  try {
    return await new Promise<Buffer | null>((resolve) => {
      let rx = Buffer.alloc(0);
      const timer = setTimeout(() => resolve(null), waitMs);
      socket.on('data', (chunk: Buffer) => {
        rx = Buffer.concat([rx, chunk]);
        const s = scan(rx);
        if (s.kind === 'frame') {
          clearTimeout(timer);
          resolve(rx.subarray(s.start, s.end));
        }
      });
      socket.write(request);
    });
  } finally {
    socket.destroy();
  }
}

test('a CJ/T 188 meter answers 901F with its volume in m3 (unit 2Ch); a dead one is silent', async () => {
  const port = sim.water!.bus.address!.port;
  const m = sim.water!.meters[1]!;
  const reply = await ask(port, cjt188ReadRequest(0x10, m.address, 0x901f, 9), scanCjt188, 2000);
  const d = decodeCjt188(reply!);
  assert.ok(d.ok && d.frame.control === 0x81 && d.frame.address === m.address && d.frame.ser === 9);
  if (!d.ok) return;
  assert.ok(Math.abs(readBcd(d.frame.data, 0, 4, 2)! - sim.water!.volumeM3(m)) <= 0.01);
  assert.is(d.frame.data[4], 0x2c);
  m.dead = true;
  assert.is(await ask(port, cjt188ReadRequest(0x10, m.address, 0x901f, 10), scanCjt188), null);
  m.dead = false;
});

test('a DL/T 645 meter answers voltage (91h) and an unknown DI with D1h ERR 02h', async () => {
  const port = sim.electricity!.bus.address!.port;
  const m = sim.electricity!.meters[0]!;
  const v = decodeDlt645((await ask(port, dlt645ReadRequest(m.address, 0x02010100), scanDlt645, 2000))!);
  assert.ok(v.ok && v.frame.control === 0x91 && v.frame.di === 0x02010100);
  if (v.ok) assert.ok([222, 226].includes(readBcd(v.frame.data, 0, 2, 1)!));
  const e = decodeDlt645((await ask(port, dlt645ReadRequest(m.address, 0x04000401), scanDlt645, 2000))!);
  assert.ok(e.ok && e.frame.control === 0xd1 && e.frame.data[0] === 0x02);
});

test('agentDevices lists every simulated device with its field transport and address', () => {
  const devices = sim.agentDevices('yicheng');
  assert.is(devices.length, 5);
  assert.equal(devices.map((d) => (d.field as { transport: string }).transport), ['cjt188', 'cjt188', 'cjt188', 'dlt645', 'dlt645']);
});

test.run();
