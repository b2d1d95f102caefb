// The Node-RED peer of the ingest benchmark: Node-RED 4.1 as a child process
// with its own userDir: mqtt in (QoS 1, buffer) → function (protobufjs decode,
// compact metric index → name, point objects) → node-red-contrib-influxdb
// "influxdb batch" out node (one write per MQTT message, InfluxDB 1.x).
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { DeviceProfile } from '../../device-profiles/index.ts';

const require = createRequire(import.meta.url);
const root = new URL('../..', import.meta.url).pathname;

const DECODE = `
const UplinkBatch = global.get('UplinkBatch');
const profiles = global.get('profiles');
const batch = UplinkBatch.decode(msg.payload);
const points = [];
for (const r of batch.readings) {
  const p = profiles[r.profile];
  if (!p) continue;
  const fields = { seq: Number(r.seq) };
  for (const m of r.metrics) {
    const name = m.index ? p.metrics[m.index - 1] : m.name;
    if (!name) continue;
    fields[name] = m.number != null ? m.number : m.flag != null ? m.flag : Number(m.integer);
  }
  const tags = { device: r.deviceId, gateway: batch.gatewayId, profile_version: String(r.profileVersion) };
  if (r.district) tags.district = r.district;
  points.push({ measurement: p.measurement, tags, fields, timestamp: Number(r.timestampMs) });
}
msg.payload = points;
return msg;
`;

export interface NodeRedPeer {
  process: ChildProcess;
  /** Resolves when its MQTT client is connected (seen in its log). */
  connected: Promise<void>;
  stop(): Promise<void>;
}

export function startNodeRed(options: { userDir: string; clientId: string; uiPort: number; brokerPort: number; username: string; password: string; influxPort: number; database: string; profiles: DeviceProfile[] }): NodeRedPeer {
  const { userDir } = options;
  const profileTable = Object.fromEntries(options.profiles.map((p) => [p.class, { measurement: p.measurement, metrics: p.metrics.map((m) => m.name) }]));
  writeFileSync(join(userDir, 'settings.js'), `
const protobuf = require(${JSON.stringify(require.resolve('protobufjs'))});
protobuf.util.Long = undefined; protobuf.configure();
const root = protobuf.loadSync(${JSON.stringify(join(root, 'proto/tianzhong/v1/telemetry.proto'))});
module.exports = {
  flowFile: 'flows.json',
  credentialSecret: false,
  uiHost: '127.0.0.1',
  uiPort: ${options.uiPort},
  httpAdminRoot: false,
  httpNodeRoot: false,
  functionGlobalContext: { UplinkBatch: root.lookupType('tianzhong.v1.UplinkBatch'), profiles: ${JSON.stringify(profileTable)} },
  logging: { console: { level: 'info', metrics: false, audit: false } },
  editorTheme: { tours: false },
};
`);
  const flows = [
    { id: 'tab1', type: 'tab', label: 'ingest' },
    { id: 'broker1', type: 'mqtt-broker', name: 'tz', broker: '127.0.0.1', port: String(options.brokerPort), clientid: options.clientId, autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: false },
    { id: 'in1', type: 'mqtt in', z: 'tab1', name: 'uplink batches', topic: 'tz/v1/gw/+/up/batch', qos: '1', datatype: 'buffer', broker: 'broker1', nl: false, rap: false, inputs: 0, x: 100, y: 100, wires: [['fn1']] },
    { id: 'fn1', type: 'function', z: 'tab1', name: 'decode', func: DECODE, outputs: 1, x: 300, y: 100, wires: [['out1']] },
    { id: 'influx1', type: 'influxdb', hostname: '127.0.0.1', port: String(options.influxPort), protocol: 'http', database: options.database, name: 'bench', usetls: false, influxdbVersion: '1.x' },
    { id: 'out1', type: 'influxdb batch', z: 'tab1', influxdb: 'influx1', precision: 'ms', retentionPolicy: '', name: 'write', x: 500, y: 100, wires: [] },
  ];
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flows));
  writeFileSync(join(userDir, 'flows_cred.json'), JSON.stringify({ broker1: { user: options.username, password: options.password }, influx1: { username: '', password: '' } }));
  const child = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', join(userDir, 'settings.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const connected = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      log = (log + d.toString()).slice(-10_000);
      if (/Connected to broker/.test(log)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`Node-RED exited (${code}): ${log.slice(-2000)}`)));
  });
  connected.catch(() => undefined);
  return {
    process: child,
    connected,
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}
