// The plain checks a bulk import takes for well-formed cells give exactly
// what the zod schema gives (value or problem), over a table of awkward cells.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEVICE_FIELDS } from '../device-record.ts';
import { parseFields } from '../fields.ts';

const CELLS: unknown[] = [
  'a', ' a ', 'dev-001', '-x', 'x'.repeat(64), 'x'.repeat(65), '0', '1', '247', '255', '256', '65535', '70000', ' 12 ', '1.5', '1e2', '0x10', 'abc', 'Infinity',
  '-90', '-90.0001', '90', '32.9001', '114.0001', 'NaN', '  ', 'wgs84', 'gcj02', 'WGS84', 'modbus-tcp', 'zigbee', 'active', 'discovered',
  '0123456789abcdef', '0123456789ABCDEF', '0123456789abcdeg', '26000001', '0'.repeat(32), 'pilot', 'pilot;east', 'b;a;a', ' ; ', 'bad tag', '中文;东区',
  '10.0.0.1', 'rs485-0', 'host name', 7, 0, -1, 1.5, true, null, ['a', 'b'], { a: 1 },
];

test('every device field: the plain check and zod agree on every cell', () => {
  for (const column of Object.keys(DEVICE_FIELDS) as Array<keyof typeof DEVICE_FIELDS>) {
    for (const cell of CELLS) {
      const fast = parseFields({ [column]: cell }, { [column]: DEVICE_FIELDS[column] });
      const schema = DEVICE_FIELDS[column];
      if (cell === undefined || cell === null || cell === '') continue;
      const slow = schema.safeParse(cell);
      const expected = slow.success
        ? { values: slow.data === undefined ? {} : { [column]: slow.data }, problems: [] }
        : { values: {}, problems: [{ column, problem: slow.error.issues[0]?.message ?? 'invalid' }] };
      assert.equal(fast, expected, `${column} = ${JSON.stringify(cell)}`);
    }
  }
});

test.run();
