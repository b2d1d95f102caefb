import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadProfiles } from '../../device-profiles/index.ts';
import { startSimulatedDistrict, DEFAULT_DISTRICTS } from '../../firmware-sim/index.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCityMap, streetSites, cityDeviceRows, cityMapGeoJson, DEFAULT_CITY_FILE } from '../../registry/index.ts';
import { CONSOLE_STATIC_DIR } from '../../dashboards/index.ts';
import { mapTilesFromEnv } from '../rules-service.ts';

// cli/ hands the city plan (registry/places) to the simulator (firmware-sim);
// the two rooms do not import each other, so their agreement is checked here.

const city = loadCityMap(DEFAULT_CITY_FILE);

test('the simulator\'s default districts are the shipped plan\'s (scenarios name them)', () => {
  assert.equal(DEFAULT_DISTRICTS, city.districts.map((d) => d.id));
});

test('the simulated 驻马店: every device along a street of its district, in the grid cell locate() gives, with an address', async () => {
  const sim = await startSimulatedDistrict({ profiles: loadProfiles(), devices: 200, seed: 1, tickMs: 3_600_000, sites: streetSites(city) });
  try {
    assert.is(sim.devices.length, 200);
    for (const d of sim.devices) {
      const site = d.site!;
      assert.ok(site, `${d.deviceId} has a site`);
      assert.is(site.district, d.district);
      assert.equal(city.locate(site.lat, site.lon), { district: d.district, districtName: site.districtName, gridCell: site.gridCell, gridName: site.gridName }, d.deviceId);
      assert.match(site.address, /^驻马店市.+(路|大道)\d+号$/);
    }
    assert.ok(new Set(sim.devices.map((d) => d.site!.gridCell)).size >= 20, 'devices spread over many grid cells');
    const rows = cityDeviceRows(sim.devices);
    assert.ok(rows.every((r) => r.lat && r.lon && r.address && r.district && r.gridCell && r.gatewayId));
  } finally {
    await sim.stop();
  }
});

test('the console\'s fallback map (static/districts.geojson) is the shipped city plan, cells included', () => {
  const shipped = JSON.parse(readFileSync(join(CONSOLE_STATIC_DIR, 'districts.geojson'), 'utf8')) as unknown;
  assert.equal(shipped, JSON.parse(JSON.stringify(cityMapGeoJson(city))),
    'regenerate: npx tsx -e "import(\'./registry/places/index.ts\').then(p => require(\'fs\').writeFileSync(\'dashboards/console/static/districts.geojson\', JSON.stringify(p.cityMapGeoJson(p.loadCityMap(p.DEFAULT_CITY_FILE))) + \'\\n\'))"');
});

test('map tiles are off unless configured; a template needs {z}/{x}/{y} and an attribution', () => {
  assert.is(mapTilesFromEnv({}), undefined);
  assert.equal(mapTilesFromEnv({ TZ_MAP_TILES: 'https://tiles.example/{z}/{x}/{y}.png', TZ_MAP_TILES_ATTRIBUTION: '© Example' }), { urlTemplate: 'https://tiles.example/{z}/{x}/{y}.png', attribution: '© Example' });
  assert.throws(() => mapTilesFromEnv({ TZ_MAP_TILES: 'https://tiles.example/{z}/{x}/{y}.png' }), /ATTRIBUTION/);
  assert.throws(() => mapTilesFromEnv({ TZ_MAP_TILES: 'ftp://x', TZ_MAP_TILES_ATTRIBUTION: 'x' }), /URL template/);
});

test.run();
