import type { Logger } from '../service-kit/index.ts';
import type { RegisteredDevice } from './model.ts';
import type { RegistryStore } from './registry-store.ts';

// The registry's devices in memory, refreshed by revision (as ingest's
// binding): for readers that must answer synchronously — silences' device
// facts, the console's device list — when the registry is on PostgreSQL.
// Over SQLite those read the store directly.

/** Above this many changed devices a refresh reads the whole list instead of one device at a time. */
const RELOAD_ABOVE = 200;

export class RegistryDeviceSnapshot {
  private readonly devices = new Map<string, RegisteredDevice>();
  private revision = 0;
  private timer: NodeJS.Timeout | undefined;
  private looking = false;

  private constructor(private readonly store: RegistryStore, private readonly log: Logger) {}

  /** Reads every device once, then follows changes every `refreshMs` (default 1 s). */
  static async open(store: RegistryStore, o: { log: Logger; refreshMs?: number }): Promise<RegistryDeviceSnapshot> {
    const snapshot = new RegistryDeviceSnapshot(store, o.log);
    await snapshot.refresh();
    snapshot.timer = setInterval(() => {
      if (snapshot.looking) return;
      snapshot.looking = true;
      snapshot.refresh().catch((err: unknown) => o.log.warn({ err: (err as Error).message }, 'registry snapshot refresh failed; keeping the devices known so far'))
        .finally(() => { snapshot.looking = false; });
    }, o.refreshMs ?? 1000);
    snapshot.timer.unref();
    return snapshot;
  }

  async refresh(): Promise<void> {
    const changes = await this.store.changesSince(this.revision);
    const last = changes.at(-1);
    if (!last) return;
    if (this.revision === 0 || changes.length > RELOAD_ABOVE) {
      const all = await this.store.listDevices();
      this.devices.clear();
      for (const d of all) this.devices.set(d.id, d);
    } else {
      for (const c of changes) {
        const d = await this.store.getDevice(c.id);
        if (d) this.devices.set(d.id, d);
      }
    }
    this.revision = Math.max(this.revision, last.revision);
    this.log.debug({ revision: this.revision, devices: this.devices.size }, 'registry snapshot refreshed');
  }

  get(id: string): RegisteredDevice | undefined {
    return this.devices.get(id);
  }

  list(): RegisteredDevice[] {
    return [...this.devices.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
