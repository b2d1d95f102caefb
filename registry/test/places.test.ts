import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import { loadCityMap, sitesAlongStreets, cityDeviceRows, cityMapGeoJson, DEFAULT_CITY_FILE, type LonLat } from '../places/index.ts';

const city = loadCityMap(DEFAULT_CITY_FILE);

test('the shipped plan is the schematic 驻马店 with four central districts around 33.0°N 114.0°E', () => {
  assert.is(city.city.name, '驻马店市');
  assert.ok(city.schematic);
  assert.equal(city.districts.map((d) => d.name), ['驿城区', '经济开发区', '高新区', '城乡一体化示范区']);
  for (const d of city.districts) {
    assert.ok(d.schematic, `${d.id} is labelled schematic`);
    assert.ok(d.bbox[0] > 113.9 && d.bbox[2] < 114.1 && d.bbox[1] > 32.89 && d.bbox[3] < 33.07, `${d.id} bbox ${d.bbox.join(',')}`);
  }
  assert.ok(city.streets.some((s) => s.name === '解放路') && city.streets.some((s) => s.name === '开源大道'));
});

// [lat, lon, district, grid cell]
const POINTS: Array<[number, number, string | null, string | null]> = [
  [32.9800, 114.0180, 'yicheng', 'YC-0403'],
  [32.9460, 113.9905, 'yicheng', 'YC-0101'],
  [33.0160, 113.9950, 'yicheng', 'YC-0801'],
  [32.9800, 113.9650, 'jingkai', 'JK-0304'],
  [32.9300, 114.0350, 'gaoxin', 'GX-0404'],
  [32.9600, 114.0750, 'gaoxin', 'GX-0708'],
  [33.0300, 114.0550, 'shifanqu', 'SF-0807'],
  [33.0120, 114.0250, 'shifanqu', 'SF-0604'],
  [33.0050, 113.9350, null, null], // the notch cut out of 经济开发区
  [32.9000, 113.9000, null, null],
  [39.9, 116.4, null, null], // Beijing
];

test('locate: district and grid cell of points inside each district, null outside every one', () => {
  for (const [lat, lon, district, cell] of POINTS) {
    const p = city.locate(lat, lon);
    assert.is(p?.district ?? null, district, `${lat},${lon} district`);
    assert.is(p?.gridCell ?? null, cell, `${lat},${lon} cell`);
    if (p) {
      assert.is(p.districtName, city.districts.find((d) => d.id === district)!.name);
      assert.match(p.gridName, /^.+网格$/);
    }
  }
  assert.is(city.locate(Number.NaN, 114), null);
});

test('every grid cell lies inside its district, every district is covered, cell ids are unique', () => {
  const ids = new Set(city.cells.map((c) => c.id));
  assert.is(ids.size, city.cells.length);
  for (const d of city.districts) {
    const cells = city.cells.filter((c) => c.district === d.id);
    assert.ok(cells.length >= 20, `${d.id}: ${cells.length} cells`);
    for (const c of cells) {
      for (const corner of c.rings[0]!) assert.ok(booleanPointInPolygon(corner, { type: 'Polygon', coordinates: d.rings }), `${c.id} corner ${corner.join(',')} in ${d.id}`);
      assert.ok(c.id.startsWith(`${d.code}-`), c.id);
    }
    // Covered: a lattice of probe points inside the district always finds a cell.
    const [w, s, e, n] = d.bbox;
    for (let i = 0; i < 25; i++) for (let j = 0; j < 25; j++) {
      const lon = w + ((i + 0.37) / 25) * (e - w);
      const lat = s + ((j + 0.41) / 25) * (n - s);
      if (!booleanPointInPolygon([lon, lat], { type: 'Polygon', coordinates: d.rings }, { ignoreBoundary: true })) continue;
      const p = city.locate(lat, lon);
      assert.is(p?.district, d.id);
      assert.ok(p?.gridCell, `no cell at ${lat},${lon} in ${d.id}`);
    }
  }
});

test('grid cells do not overlap (turf: no cell\'s centre or corner lies strictly inside another)', () => {
  const probes = (ring: LonLat[]): LonLat[] => {
    const [w, s, e, n] = [Math.min(...ring.map((p) => p[0])), Math.min(...ring.map((p) => p[1])), Math.max(...ring.map((p) => p[0])), Math.max(...ring.map((p) => p[1]))];
    return [[(w + e) / 2, (s + n) / 2], ...ring.slice(0, -1)];
  };
  let compared = 0;
  for (const a of city.cells) {
    for (const b of city.cells) {
      if (a === b || a.bbox[0] > b.bbox[2] || b.bbox[0] > a.bbox[2] || a.bbox[1] > b.bbox[3] || b.bbox[1] > a.bbox[3]) continue;
      compared++;
      for (const p of probes(a.rings[0]!)) assert.not.ok(booleanPointInPolygon(p, { type: 'Polygon', coordinates: b.rings }, { ignoreBoundary: true }), `${a.id} overlaps ${b.id} at ${p.join(',')}`);
    }
  }
  assert.ok(compared > city.cells.length, `neighbours compared: ${compared}`);
});

test('districts do not overlap each other', () => {
  for (const a of city.cells) {
    const [lon, lat] = [(a.bbox[0] + a.bbox[2]) / 2, (a.bbox[1] + a.bbox[3]) / 2];
    const holders = city.districts.filter((d) => booleanPointInPolygon([lon, lat], { type: 'Polygon', coordinates: d.rings }));
    assert.equal(holders.map((d) => d.id), [a.district], `${a.id}`);
  }
});

test('sites along streets: in their district and cell, on a named street, with a Chinese address, deterministic', () => {
  for (const d of city.districts) {
    const sites = sitesAlongStreets(city, d.id, 60);
    assert.is(sites.length, 60, d.id);
    for (const s of sites) {
      const p = city.locate(s.lat, s.lon)!;
      assert.is(p.district, d.id);
      assert.is(p.gridCell, s.gridCell);
      assert.ok(city.streets.some((x) => x.name === s.street));
      assert.match(s.address, new RegExp(`^驻马店市${d.name}${s.street}\\d+号$`));
    }
    assert.ok(new Set(sites.map((s) => `${s.lat},${s.lon}`)).size >= 55, `${d.id}: sites are spread out`);
    assert.equal(sitesAlongStreets(city, d.id, 60), sites);
  }
  assert.equal(sitesAlongStreets(city, 'nowhere', 5), []);
});

test('registry rows and the console map', () => {
  const [site] = sitesAlongStreets(city, 'yicheng', 1);
  const rows = cityDeviceRows([{ deviceId: 'mh-0001', profile: 'manhole-cover', gatewayId: 'gw-yicheng-1', transport: 'tcp', host: '127.0.0.1', port: 1502, unitId: 3, site: site! }]);
  assert.equal(rows[0], { id: 'mh-0001', class: 'manhole-cover', gatewayId: 'gw-yicheng-1', transport: 'modbus-tcp', host: '127.0.0.1', port: '1502', unit: '3', lat: String(site!.lat), lon: String(site!.lon), address: site!.address, district: 'yicheng', gridCell: site!.gridCell, assetId: 'asset-mh-0001' });
  const geo = cityMapGeoJson(city);
  assert.is(geo.features.filter((f) => f.properties.kind === 'district').length, 4);
  assert.is(geo.features.filter((f) => f.properties.kind === 'cell').length, city.cells.length);
});

test('another city: TZ_CITY_BOUNDARIES names the file; a bad file fails with the path of the problem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tz-city-'));
  const file = join(dir, 'tiny.geojson');
  writeFileSync(file, JSON.stringify({
    type: 'FeatureCollection', city: { id: 'tiny', name: '小城', centre: [10.5, 10.5] },
    features: [
      { type: 'Feature', properties: { kind: 'district', id: 'one', name: '一区', code: 'ONE' }, geometry: { type: 'Polygon', coordinates: [[[10, 10], [11, 10], [11, 11], [10, 11], [10, 10]]] } },
      { type: 'Feature', properties: { kind: 'cell', id: 'ONE-1', name: '一号网格', district: 'one' }, geometry: { type: 'Polygon', coordinates: [[[10, 10], [11, 10], [11, 11], [10, 11], [10, 10]]] } },
    ],
  }));
  const tiny = loadCityMap(undefined, { TZ_CITY_BOUNDARIES: file });
  assert.is(tiny.city.name, '小城');
  assert.equal(tiny.locate(10.5, 10.5), { district: 'one', districtName: '一区', gridCell: 'ONE-1', gridName: '一号网格' });
  const bad = join(dir, 'bad.geojson');
  writeFileSync(bad, JSON.stringify({ type: 'FeatureCollection', city: { id: 'x', name: 'x', centre: [0, 0] }, features: [{ type: 'Feature', properties: { kind: 'district', id: 'Bad Id', name: 'x', code: 'X' }, geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] } }] }));
  assert.throws(() => loadCityMap(bad), (err: Error) => err.message.includes('bad.geojson: features.0.properties.id'));
});

test.run();
