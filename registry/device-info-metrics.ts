import { Gauge, type Registry } from 'prom-client';
import type { RegisteredDevice } from './model.ts';

// The registry's device facts as Prometheus info gauges (value 1), so Grafana
// template variables can offer district, grid cell (网格), asset and tags as
// the registry has them — InfluxDB's tags only carry what the gateway sent
// (device, gateway, district). A dashboard turns a chosen grid cell, asset
// or tag into device ids and filters its InfluxQL panels by "device".
// One series per device (and per device tag): a city's thousands, not a
// cardinality problem. Retired devices are left out.

export interface DeviceInfoSource {
  /** A registry store fits (a Promise over PostgreSQL: prom-client awaits an async collect). */
  listDevices(): RegisteredDevice[] | Promise<RegisteredDevice[]>;
}

export function registerDeviceInfoGauges(registry: Registry, source: DeviceInfoSource): void {
  new Gauge({
    name: 'tz_registry_device_info',
    help: 'One series per registered device (value 1) with its registry facts: class, gateway, district, grid cell, asset, lifecycle state',
    labelNames: ['device', 'class', 'gateway', 'district', 'grid_cell', 'asset', 'state'], registers: [registry],
    async collect() {
      const devices = await source.listDevices();
      this.reset();
      for (const d of devices) {
        if (d.state === 'retired') continue;
        this.set({ device: d.id, class: d.class, gateway: d.gatewayId, district: d.district ?? '', grid_cell: d.gridCell ?? '', asset: d.assetId ?? '', state: d.state }, 1);
      }
    },
  });
  new Gauge({
    name: 'tz_registry_device_tag',
    help: 'One series per (registered device, tag) (value 1), plus one without a tag per device: the registry\'s tags, for Grafana variables',
    labelNames: ['device', 'class', 'tag'], registers: [registry],
    async collect() {
      const devices = await source.listDevices();
      this.reset();
      for (const d of devices) {
        if (d.state === 'retired') continue;
        // Plus one series without a tag (Prometheus drops an empty label), so tag=~".*" also matches untagged devices.
        this.set({ device: d.id, class: d.class, tag: '' }, 1);
        for (const tag of d.tags) this.set({ device: d.id, class: d.class, tag }, 1);
      }
    },
  });
}
