// Bulk import: the test — 10,000 CSV rows with deliberate errors: the
// report is exact and nothing is half-applied; --apply-valid writes exactly
// the good rows; importing again changes nothing. Plus GeoJSON, assets
// (parents in the same file), export → import round trip.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importFile, exportFile } from '../import/apply.ts';
import type { RowProblem } from '../import/report.ts';
import { toGcj02, toWgs84, distanceM } from '../position.ts';
import { openFixture, profiles } from './fixtures.ts';

/** The built-in classes as the registry names them in its errors. */
const KNOWN_CLASSES = profiles.all().map((p) => p.class).sort().join(', ');

const HEADER = ['id', 'class', 'gatewayId', 'transport', 'host', 'port', 'unit', 'line', 'devEui', 'devAddr', 'nwkSKey', 'appSKey', 'pollIntervalS', 'deadbands', 'lat', 'lon', 'crs', 'district', 'installedOn', 'state', 'tags'];
const hex = (n: number, digits: number) => n.toString(16).toUpperCase().padStart(digits, '0');

/** A good row for data row i (0-based): three transports, GCJ-02 and WGS-84 positions, tags, deadbands. */
function goodRow(i: number): Record<string, string> {
  const row: Record<string, string> = Object.fromEntries(HEADER.map((h) => [h, '']));
  row.id = `dev-${String(i).padStart(5, '0')}`;
  row.gatewayId = `gw-${String(i % 40).padStart(2, '0')}`;
  row.district = ['yicheng', 'xiping', 'suiping'][i % 3]!;
  row.lat = (32.9 + (i % 997) * 1e-4).toFixed(6);
  row.lon = (114.0 + (i % 991) * 1e-4).toFixed(6);
  row.crs = i % 2 === 0 ? 'gcj02' : 'wgs84';
  row.tags = i % 5 === 0 ? 'pilot;east' : '';
  row.state = i % 4 === 0 ? 'active' : '';
  row.installedOn = i % 7 === 0 ? '2025-11-03' : '';
  switch (i % 3) {
    case 0:
      Object.assign(row, { class: 'manhole-cover', transport: 'modbus-tcp', host: `10.${(i >> 8) & 255}.${i & 255}.1`, port: '502', unit: String(1 + (i % 200)), deadbands: 'tilt_deg=0.5' });
      break;
    case 1:
      Object.assign(row, { class: 'public-toilet', transport: 'modbus-rtu', line: `rs485-${i % 4}`, unit: String(1 + (i % 247)), pollIntervalS: '30' });
      break;
    default:
      Object.assign(row, { class: 'water-meter', transport: 'lorawan', devEui: `70B3D57E${hex(i, 8)}`, devAddr: hex(0x26000000 + i, 8), nwkSKey: hex(i, 32), appSKey: hex(i * 7 + 1, 32) });
  }
  return row;
}

// Deliberate errors: data row index → what to change, and the exact problems expected (spreadsheet row = index + 2).
const ERRORS: Array<{ index: number; change: Record<string, string>; problems: Array<[string, string]> }> = [
  { index: 99, change: { class: 'street-lamp' }, problems: [['class', `no device profile "street-lamp" (known: ${KNOWN_CLASSES})`]] },
  { index: 501, change: { port: '70000' }, problems: [['port', 'above 65535']] },
  { index: 1001, change: { lat: '91' }, problems: [['lat', 'above 90']] },
  { index: 2002, change: { transport: 'zigbee', devEui: '', devAddr: '', nwkSKey: '', appSKey: '' }, problems: [['transport', 'must be one of modbus-tcp, modbus-rtu, lorawan, dlt645, cjt188']] },
  { index: 3003, change: { id: 'dev-00000' }, problems: [['id', 'duplicate id (first on row 2)']] },
  { index: 4004, change: { devEui: 'XYZ' }, problems: [['devEui', 'must be 16 hex digits']] },
  { index: 5005, change: { installedOn: '2024-02-30' }, problems: [['installedOn', 'not a calendar date']] },
  { index: 6006, change: { deadbands: 'bogus=1' }, problems: [['deadbands', 'no metric bogus in manhole-cover (metrics: cover_open, tilt_deg, displacement_mm, water_level_cm, ch4_pct_lel, h2s_ppm, battery_pct, temperature_c)']] },
  { index: 7009, change: { unit: '0' }, problems: [['unit', 'a serial slave address is 1–247']] },
  { index: 8010, change: { lon: '' }, problems: [['lon', 'lat is given without lon']] },
  { index: 9011, change: { gatewayId: '', pollIntervalS: 'abc' }, problems: [['pollIntervalS', 'not a number'], ['gatewayId', 'required']] },
];

function csvOf(rows: Array<Record<string, string>>): string {
  const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [HEADER.join(','), ...rows.map((r) => HEADER.map((h) => quote(r[h] ?? '')).join(','))].join('\n') + '\n';
}

const N = 10_000;
const rows = Array.from({ length: N }, (_, i) => goodRow(i));
for (const e of ERRORS) Object.assign(rows[e.index]!, e.change);
const file = csvOf(rows);
const expected: RowProblem[] = ERRORS.flatMap((e) => e.problems.map(([column, problem]) => ({ row: e.index + 2, column, problem })));
const badIndexes = new Set(ERRORS.map((e) => e.index));

test('10,000 rows with errors: exact report, nothing applied; --apply-valid writes exactly the good rows; again changes nothing', () => {
  const f = openFixture();
  try {
    // Sanity: the deadband metric list in the expectation is the profile's.
    const first = importFile(f.store, { kind: 'devices', format: 'csv', text: file, by: 'import-test' });
    assert.equal(first.problems, expected);
    assert.equal({ rows: first.rows, valid: first.valid, invalid: first.invalid, applied: first.applied, created: first.created }, { rows: N, valid: N - ERRORS.length, invalid: ERRORS.length, applied: false, created: 0 });
    assert.is(f.store.countDevices(), 0, 'nothing is half-applied');
    assert.is(f.store.revision(), 0);
    assert.is((f.store.db.prepare('SELECT COUNT(*) AS n FROM device_history').get() as { n: number }).n, 0);

    const second = importFile(f.store, { kind: 'devices', format: 'csv', text: file, by: 'import-test', applyValid: true });
    assert.equal(second.problems, expected);
    assert.equal({ applied: second.applied, created: second.created, updated: second.updated, unchanged: second.unchanged }, { applied: true, created: N - ERRORS.length, updated: 0, unchanged: 0 });
    const stored = new Set(f.store.listDevices().map((d) => d.id));
    const good = rows.filter((_, i) => !badIndexes.has(i)).map((r) => r.id);
    assert.is(stored.size, good.length);
    for (const id of good) assert.ok(stored.has(id!), `${id} stored`);
    assert.not.ok(stored.has('dev-00099'));
    assert.is(f.store.getDevice('dev-00000')!.transport?.kind, 'modbus-tcp', 'the first of a duplicate id wins');
    assert.is(f.store.getDevice('dev-00004')!.state, 'active');
    assert.is(f.store.getDevice('dev-00001')!.state, 'planned');
    assert.equal(f.store.getDevice('dev-00005')!.tags, ['east', 'pilot']);

    const revision = f.store.revision();
    const third = importFile(f.store, { kind: 'devices', format: 'csv', text: file, by: 'import-test', applyValid: true });
    assert.equal({ created: third.created, updated: third.updated, unchanged: third.unchanged }, { created: 0, updated: 0, unchanged: N - ERRORS.length });
    assert.is(f.store.revision(), revision, 're-import wrote nothing');
  } finally {
    f.close();
  }
});

test('GCJ-02 input is stored as WGS-84; converting back lands within 1 m', () => {
  const f = openFixture();
  try {
    const gcj = { lat: 32.980812, lon: 114.022411 }; // near 驻马店 city centre, as AMap gives it
    importFile(f.store, { kind: 'devices', format: 'csv', by: 't', text: `id,class,gatewayId,transport,host,lat,lon,crs\nmh-1,manhole-cover,gw-01,modbus-tcp,10.0.0.1,${gcj.lat},${gcj.lon},gcj02\n` });
    const stored = f.store.getDevice('mh-1')!.position!;
    assert.ok(distanceM(stored, gcj) > 100, `the GCJ-02 offset was applied (${distanceM(stored, gcj).toFixed(0)} m)`);
    assert.equal(stored, toWgs84(gcj.lat, gcj.lon, 'gcj02'));
    // WGS-84 → GCJ-02 again: within 1 m of the input (gcoord's inverse is iterative).
    const back = toGcj02(stored);
    assert.ok(distanceM(back, gcj) < 1, `round trip off by ${distanceM(back, gcj).toFixed(3)} m`);
    // And across a grid over the city: every point round-trips within 1 m.
    for (let lat = 32.85; lat <= 33.15; lat += 0.05) {
      for (let lon = 113.9; lon <= 114.2; lon += 0.05) {
        const p = { lat, lon };
        assert.ok(distanceM(toGcj02(toWgs84(lat, lon, 'gcj02')), p) < 1, `${lat},${lon}`);
      }
    }
  } finally {
    f.close();
  }
});

test('GeoJSON: features with properties; problems name the feature and property; export → import changes nothing', () => {
  const f = openFixture();
  try {
    const doc = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', geometry: { type: 'Point', coordinates: [114.02, 32.98] }, properties: { id: 'mh-1', class: 'manhole-cover', gatewayId: 'gw-01', transport: 'modbus-tcp', host: '10.0.0.1', tags: ['a', 'b'] } },
        { type: 'Feature', geometry: { type: 'LineString', coordinates: [[0, 0], [1, 1]] }, properties: { id: 'mh-2' } },
        { type: 'Feature', geometry: null, properties: { id: 'mh-3', class: 'manhole-cover', gatewayId: 'gw-01', transport: 'modbus-tcp', host: '10.0.0.3', port: 99999, colour: 'red' } },
      ],
    };
    const r = importFile(f.store, { kind: 'devices', format: 'geojson', text: JSON.stringify(doc), by: 't' });
    assert.equal(r.problems, [
      { row: 2, column: 'geometry', problem: 'must be a Point [lon, lat] or null' },
      { row: 3, column: 'colour', problem: 'unknown column' },
      { row: 3, column: 'port', problem: 'above 65535' },
    ]);
    assert.is(r.applied, false);
    const ok = importFile(f.store, { kind: 'devices', format: 'geojson', text: JSON.stringify({ ...doc, features: [doc.features[0]] }), by: 't' });
    assert.is(ok.created, 1);
    assert.equal(f.store.getDevice('mh-1')!.position, { lat: 32.98, lon: 114.02 });
    for (const format of ['geojson', 'csv'] as const) {
      const out = exportFile(f.store, { kind: 'devices', format });
      const again = importFile(f.store, { kind: 'devices', format, text: out, by: 't' });
      assert.equal({ problems: again.problems, unchanged: again.unchanged, updated: again.updated }, { problems: [], unchanged: 1, updated: 0 }, format);
    }
  } finally {
    f.close();
  }
});

test('assets: a parent later in the file is fine; a child of a refused row is refused too; parents written first', () => {
  const f = openFixture();
  try {
    const text = 'id,kind,parentAssetId,name\ncab-1,cabinet,pole-1,\npole-1,pole,road-1,\nroad-1,road,,解放路\nbad,Pole!,,\nchild,pole,bad,\nloop-a,pole,loop-b,\nloop-b,pole,loop-a,\n';
    const r = importFile(f.store, { kind: 'assets', format: 'csv', text, by: 't', applyValid: true });
    assert.equal(r.problems, [
      { row: 5, column: 'kind', problem: 'must be a lower-kebab-case word, e.g. pole, shaft' },
      { row: 6, column: 'parentAssetId', problem: 'parent bad is on row 5, which has problems' },
      { row: 7, column: 'parentAssetId', problem: 'parent loop-b would make a loop (loop-a → loop-b → loop-a)' },
      { row: 8, column: 'parentAssetId', problem: 'parent loop-a would make a loop (loop-b → loop-a → loop-b)' },
    ]);
    assert.equal({ created: r.created, applied: r.applied }, { created: 3, applied: true });
    assert.is(f.store.getAsset('cab-1')!.parentAssetId, 'pole-1');
    assert.is(f.store.getAsset('road-1')!.name, '解放路');
    const again = importFile(f.store, { kind: 'assets', format: 'csv', text: exportFile(f.store, { kind: 'assets', format: 'csv' }), by: 't' });
    assert.equal({ unchanged: again.unchanged, problems: again.problems }, { unchanged: 3, problems: [] });
  } finally {
    f.close();
  }
});

test('file-level problems: unknown or missing columns, wrong cell count', () => {
  const f = openFixture();
  try {
    const r1 = importFile(f.store, { kind: 'gateways', format: 'csv', text: 'id,colour\ngw-1,red\n', by: 't' });
    assert.equal(r1.problems, [{ row: 1, column: 'colour', problem: 'unknown column (known: id, name, lat, lon, crs, address, district, autoAccept, state, tags)' }]);
    const r2 = importFile(f.store, { kind: 'devices', format: 'csv', text: 'id,class\nx,manhole-cover\n', by: 't' });
    assert.equal(r2.problems.map((p) => p.column), ['gatewayId', 'transport']);
    const r3 = importFile(f.store, { kind: 'gateways', format: 'csv', text: 'id,name\ngw-1,a\ngw-2\n\ngw-3,c\n', by: 't', applyValid: true });
    assert.equal(r3.problems, [{ row: 3, column: '', problem: '1 cells, the header has 2' }]);
    assert.equal({ rows: r3.rows, created: r3.created }, { rows: 3, created: 2 });
  } finally {
    f.close();
  }
});

test.run();
