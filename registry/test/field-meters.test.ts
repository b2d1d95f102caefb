// DL/T 645 and CJ/T 188 meters in the registry: their record (meter address,
// serial line or serial server), the problems named by column, the export
// round trip, and the gateway config that renders them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gatewayConfigDevices } from '../centre.ts';
import { exportFile, importFile } from '../import/apply.ts';
import { isTzError } from '../../service-kit/index.ts';
import { openFixture } from './fixtures.ts';

const em = { id: 'em-1', class: 'electricity-meter', gatewayId: 'gw-1', transport: 'dlt645', meterAddress: '202312345678', line: 'rs485-1', state: 'active' };
const wm = { id: 'wm-1', class: 'water-meter', gatewayId: 'gw-1', transport: 'cjt188', meterAddress: '12345678901234', host: '10.0.0.9', port: '4001', state: 'active' };

test('meters are stored, exported and re-imported unchanged, and rendered as field meters', () => {
  const f = openFixture();
  try {
    f.store.createGateway({ id: 'gw-1' });
    f.store.createDevice(em, 'test');
    f.store.createDevice(wm, 'test');
    assert.equal(f.store.getDevice('em-1')!.transport, { kind: 'dlt645', meterAddress: '202312345678', line: 'rs485-1', host: null, port: null });
    const csv = exportFile(f.store, { kind: 'devices', format: 'csv' });
    const again = importFile(f.store, { kind: 'devices', format: 'csv', text: csv, by: 'test' });
    assert.equal([again.applied, again.unchanged, again.problems], [true, 2, []]);
    assert.equal(gatewayConfigDevices(f.store, 'gw-1').map((d) => d.transport), [
      { kind: 'dlt645', address: '202312345678', line: 'rs485-1', host: null, port: null },
      { kind: 'cjt188', address: '12345678901234', line: null, host: '10.0.0.9', port: 4001 },
    ]);
  } finally {
    f.close();
  }
});

test('meter problems name the column', () => {
  const table: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ ...em, meterAddress: '12345678901234' }, 'meterAddress', /a dlt645 meter address is 12 digits/],
    [{ ...em, meterAddress: 'A0231234567' }, 'meterAddress', /12 digits \(DL\/T 645\) or 14 digits/],
    [{ ...em, meterAddress: '' }, 'meterAddress', /required for dlt645/],
    [{ ...em, host: '10.0.0.1', port: '4001' }, 'line', /serial line \(line\) or behind a serial server/],
    [{ ...wm, port: '' }, 'port', /required with host/],
    [{ ...em, unit: '3' }, 'unit', /not used by transport dlt645/],
    [{ ...em, transport: 'modbus-rtu', unit: '3' }, 'meterAddress', /not used by transport modbus-rtu/],
  ];
  const f = openFixture();
  try {
    for (const [record, column, problem] of table) {
      try {
        f.store.createDevice(record, 'test');
        assert.unreachable(JSON.stringify(record));
      } catch (err) {
        assert.ok(isTzError(err, 'TZ_REGISTRY_INVALID'), String(err));
        const problems = (err as { details?: { problems?: Array<{ column: string; problem: string }> } }).details?.problems ?? [];
        assert.ok(problems.some((p) => p.column === column && problem.test(p.problem)), `${JSON.stringify(record)} → ${JSON.stringify(problems)}`);
      }
    }
  } finally {
    f.close();
  }
});

test.run();
