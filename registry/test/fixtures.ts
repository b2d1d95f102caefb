import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfiles } from '../../device-profiles/index.ts';
import { ManualClock } from '../../service-kit/index.ts';
import { RegistryKey } from '../lora-keys.ts';
import { SqliteRegistryStore } from '../store.ts';

export const profiles = loadProfiles();
export const TEST_KEY_HEX = '5f'.repeat(32);

export interface Fixture {
  store: SqliteRegistryStore;
  clock: ManualClock;
  path: string;
  dir: string;
  close(): void;
}

/** A registry in a fresh temporary file (WAL needs a file), with a registry key unless `withKey` is false. */
export function openFixture(options: { withKey?: boolean } = {}): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'tz-registry-'));
  const path = join(dir, 'registry.sqlite');
  const clock = new ManualClock(Date.parse('2026-03-01T08:00:00Z'));
  const key = options.withKey === false ? null : RegistryKey.parse(TEST_KEY_HEX, 'test');
  const store = new SqliteRegistryStore(path, { profiles, key, clock });
  return {
    store, clock, path, dir,
    close() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const tcpDevice = (id: string, extra: Record<string, unknown> = {}) => ({
  id, class: 'manhole-cover', gatewayId: 'gw-01', transport: 'modbus-tcp', host: '10.0.0.5', port: 502, unit: 3, ...extra,
});

export const abpDevice = (id: string, extra: Record<string, unknown> = {}) => ({
  id, class: 'water-meter', gatewayId: 'gw-01', transport: 'lorawan', devEui: '70B3D57ED0000001', devAddr: '26011F01',
  nwkSKey: '2B7E151628AED2A6ABF7158809CF4F3C', appSKey: '000102030405060708090A0B0C0D0E0F', ...extra,
});
