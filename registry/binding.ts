import { thenMaybe, type Logger, type Maybe } from '../service-kit/index.ts';
import type { LifecycleState } from './model.ts';
import type { DeviceBindingRow, RegistryStore, RegistryStoreOptions } from './registry-store.ts';
import { SqliteRegistryStore } from './store.ts';

// What ingest needs from the registry, in memory: device → (gateway, state),
// refreshed from the store's revision counter (only rows written since the
// last look are read), so the per-reading check is a map lookup — and the
// ingest parser caches the answer per device until `epoch` moves. Over
// SQLite a refresh is synchronous; over PostgreSQL it is a query in flight
// (one at a time), and `ready` resolves once the first one has landed.

export interface BindingProblem {
  reason: 'unknown-device' | 'wrong-gateway' | 'retired-device';
  detail: string;
}

export interface RegistryBindingOptions {
  log: Logger;
  /** How often to look for changes, ms (default 1000). */
  refreshMs?: number;
  /** Close the store with the binding. */
  ownsStore?: boolean;
}

// Bounded: a hostile sender inventing ids cannot grow it forever (cleared when full; notes are idempotent).
const MAX_NOTED = 200_000;

export class RegistryBinding {
  private readonly devices = new Map<string, { gatewayId: string; state: LifecycleState; district: string | null }>();
  private readonly noted = new Set<string>();
  private revision = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<boolean> | undefined;
  /** Resolves once the first look has landed (at once over SQLite). */
  readonly ready: Promise<void>;
  /** Moves whenever the map changes. */
  epoch = 0;
  /** Discovery notes that could not be written (logged; retried on the device's next reading). */
  noteFailures = 0;

  constructor(private readonly store: RegistryStore, private readonly options: RegistryBindingOptions) {
    const first = this.refresh();
    this.ready = first instanceof Promise ? first.then(() => undefined) : Promise.resolve();
  }

  get size(): number {
    return this.devices.size;
  }

  /** Reads what changed since the last look; true when something did. */
  refresh(): Maybe<boolean> {
    if (this.inFlight) return this.inFlight;
    const changes = this.store.changesSince(this.revision);
    if (!(changes instanceof Promise)) return this.apply(changes);
    this.inFlight = changes.then((c) => this.apply(c)).finally(() => { this.inFlight = undefined; });
    return this.inFlight;
  }

  private apply(changes: DeviceBindingRow[]): boolean {
    if (changes.length === 0) return false;
    for (const c of changes) {
      this.devices.set(c.id, { gatewayId: c.gatewayId, state: c.state, district: c.district });
      this.revision = Math.max(this.revision, c.revision);
    }
    this.epoch += 1;
    return true;
  }

  start(): void {
    const failed = (err: unknown) => this.options.log.warn({ err: (err as Error).message }, 'registry refresh failed; keeping the devices known so far');
    this.timer = setInterval(() => {
      try {
        const done = this.refresh();
        if (done instanceof Promise) done.catch(failed);
      } catch (err) {
        failed(err);
      }
    }, this.options.refreshMs ?? 1000);
    this.timer.unref();
  }

  check(deviceId: string, gatewayId: string): BindingProblem | null {
    const device = this.devices.get(deviceId);
    if (device === undefined || device.state === 'discovered') {
      return { reason: 'unknown-device', detail: `device ${deviceId} (via gateway ${gatewayId}) is not registered${device ? ': discovered, waiting for an operator to accept it' : ''}` };
    }
    if (device.gatewayId !== gatewayId) return { reason: 'wrong-gateway', detail: `device ${deviceId} is registered to gateway ${device.gatewayId}, not ${gatewayId}` };
    if (device.state === 'retired') return { reason: 'retired-device', detail: `device ${deviceId} is retired` };
    return null;
  }

  /** The registry's district of a device (undefined: not registered, or placed in none). */
  districtOf(deviceId: string): string | undefined {
    return this.devices.get(deviceId)?.district ?? undefined;
  }

  noteUnregistered(gatewayId: string, deviceId: string, profile: string): void {
    const key = `${gatewayId}\u0000${deviceId}`;
    if (this.noted.has(key)) return;
    if (this.noted.size >= MAX_NOTED) this.noted.clear();
    this.noted.add(key);
    const failed = (err: unknown) => {
      this.noted.delete(key);
      this.noteFailures += 1;
      this.options.log.warn({ gatewayId, deviceId, err: (err as Error).message }, 'could not note a discovered device in the registry');
    };
    try {
      // Over PostgreSQL the note lands later; the reading itself is refused either way (unknown-device).
      const done = thenMaybe(this.store.noteReportedDevice(gatewayId, deviceId, profile), (outcome) => {
        if (outcome !== 'registered') this.options.log.info({ gatewayId, deviceId, profile, outcome }, 'unregistered device reported');
        return outcome === 'accepted' ? this.refresh() : false;
      });
      if (done instanceof Promise) done.catch(failed);
    } catch (err) {
      failed(err);
    }
  }

  close(): Maybe<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.options.ownsStore) return this.store.close();
  }
}

/** Opens the registry file for ingest: a binding refreshed every second, closing the file with it. */
export function openRegistryBinding(path: string, options: RegistryBindingOptions & RegistryStoreOptions): RegistryBinding {
  const store = new SqliteRegistryStore(path, options);
  const binding = new RegistryBinding(store, { ...options, ownsStore: true });
  binding.start();
  return binding;
}

/** Opens the registry where it lives (a file, or a postgres:// URL) for ingest: the binding has read every device when this resolves. */
export async function openRegistryBindingAt(target: string, options: RegistryBindingOptions & RegistryStoreOptions): Promise<RegistryBinding> {
  const { openRegistry } = await import('./open-store.ts');
  const store = await openRegistry(target, options);
  const binding = new RegistryBinding(store, { ...options, ownsStore: true });
  try {
    await binding.ready;
  } catch (err) {
    await binding.close();
    throw err;
  }
  binding.start();
  return binding;
}
