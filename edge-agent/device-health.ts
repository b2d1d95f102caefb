import { tz, type IGatewayStatus } from '../proto/index.ts';

type IGatewayDeviceState = NonNullable<IGatewayStatus['devices']>[number];

export type Transport = 'modbus-tcp' | 'modbus-rtu' | 'lora' | 'cjt188' | 'dlt645' | 'hj212';

interface Entry {
  state: 'unknown' | 'online' | 'offline';
  transport: Transport;
  lastSeen: number;
  failures: number;
  pollErrors: number;
  rssi?: number;
  snr?: number;
}

/**
 * Reachability of every configured device as the gateway sees it. Methods
 * return the new state when it changed (the agent then reports a
 * DeviceStatus in the next batch), else null.
 */
export class DeviceHealth {
  private readonly entries = new Map<string, Entry>();

  constructor(private offlineAfterFailures: number) {}

  /** Sets the device table (start and reload); known devices keep their state. */
  configure(devices: Array<{ deviceId: string; transport: Transport }>, offlineAfterFailures: number): void {
    this.offlineAfterFailures = offlineAfterFailures;
    const keep = new Set(devices.map((d) => d.deviceId));
    for (const id of this.entries.keys()) if (!keep.has(id)) this.entries.delete(id);
    for (const d of devices) {
      const e = this.entries.get(d.deviceId);
      if (e) e.transport = d.transport;
      else this.entries.set(d.deviceId, { state: 'unknown', transport: d.transport, lastSeen: 0, failures: 0, pollErrors: 0 });
    }
  }

  heard(deviceId: string, at: number, radio?: { rssi: number; snr: number | undefined }): 'online' | null {
    const e = this.entries.get(deviceId);
    if (!e) return null;
    e.lastSeen = at;
    e.failures = 0;
    if (radio) {
      e.rssi = radio.rssi;
      e.snr = radio.snr;
    }
    if (e.state === 'online') return null;
    e.state = 'online';
    return 'online';
  }

  failed(deviceId: string): 'offline' | null {
    const e = this.entries.get(deviceId);
    if (!e) return null;
    e.failures++;
    e.pollErrors++;
    if (e.failures < this.offlineAfterFailures || e.state === 'offline') return null;
    e.state = 'offline';
    return 'offline';
  }

  /** LoRa devices report on their own: silent for longer than `silentMs` means offline. */
  silent(deviceId: string, now: number, silentMs: number): 'offline' | null {
    const e = this.entries.get(deviceId);
    if (!e || e.state !== 'online' || now - e.lastSeen <= silentMs) return null;
    e.state = 'offline';
    return 'offline';
  }

  count(state: 'online' | 'offline'): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.state === state) n++;
    return n;
  }

  get size(): number {
    return this.entries.size;
  }

  /** For GatewayStatus.devices. */
  snapshot(): IGatewayDeviceState[] {
    return [...this.entries].map(([deviceId, e]) => ({
      deviceId,
      state: e.state === 'online' ? tz.DeviceState.DEVICE_STATE_ONLINE : e.state === 'offline' ? tz.DeviceState.DEVICE_STATE_OFFLINE : tz.DeviceState.DEVICE_STATE_UNKNOWN,
      transport: e.transport,
      lastSeenMs: e.lastSeen,
      consecutiveFailures: e.failures,
      pollErrors: e.pollErrors,
      ...(e.rssi === undefined ? {} : { rssiDbm: e.rssi }),
      ...(e.snr === undefined ? {} : { snrDb: e.snr }),
    }));
  }
}
