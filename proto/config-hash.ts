import { createHash } from 'node:crypto';
import { encodeGatewayConfig, type IConfigDevice, type IGatewayConfig } from './codec.ts';

// The content hash of a GatewayConfig (config.proto `content_hash`): SHA-256
// of the protobuf encoding of the content alone — no version, issue time,
// reason or hash — with map keys sorted, so the centre and the gateway compute
// the same hash from the same device list whatever order maps were built in.

function sortedMap(map: { [k: string]: number } | null | undefined): { [k: string]: number } {
  const out: { [k: string]: number } = {};
  for (const [key, value] of Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[key] = value;
  return out;
}

function canonicalDevice(d: IConfigDevice): IConfigDevice {
  const out: IConfigDevice = {
    deviceId: d.deviceId ?? '', profile: d.profile ?? '', district: d.district ?? '',
    pollIntervalMs: d.pollIntervalMs ?? 0, deadbands: sortedMap(d.deadbands), maxIntervalS: d.maxIntervalS ?? 0,
  };
  if (d.modbusTcp) out.modbusTcp = { host: d.modbusTcp.host ?? '', port: d.modbusTcp.port ?? 0, unitId: d.modbusTcp.unitId ?? 0 };
  else if (d.modbusRtu) out.modbusRtu = { line: d.modbusRtu.line ?? '', unitId: d.modbusRtu.unitId ?? 0 };
  else if (d.lora) out.lora = { devEui: d.lora.devEui ?? '', devAddr: d.lora.devAddr ?? '', nwkSKey: d.lora.nwkSKey ?? '', appSKey: d.lora.appSKey ?? '' };
  else if (d.fieldMeter) out.fieldMeter = { protocol: d.fieldMeter.protocol ?? '', address: d.fieldMeter.address ?? '', line: d.fieldMeter.line ?? '', host: d.fieldMeter.host ?? '', port: d.fieldMeter.port ?? 0 };
  return out;
}

/** Hex SHA-256 of the config's content (gateway id, defaults, devices in their given order). */
export function gatewayConfigContentHash(config: IGatewayConfig): string {
  const bytes = encodeGatewayConfig({
    gatewayId: config.gatewayId ?? '',
    pollIntervalMs: config.pollIntervalMs ?? 0,
    deadbands: sortedMap(config.deadbands),
    devices: (config.devices ?? []).map(canonicalDevice),
  });
  return createHash('sha256').update(bytes).digest('hex');
}
