import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isTzError } from '../../service-kit/index.ts';
import { DEFAULT_CASE_CONFIG, categoryLabel, loadCaseConfig, parseCaseConfig } from '../config.ts';
import { loadStandardCatalogue, parseStandardCatalogue } from '../standard-codes.ts';

const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(isTzError(err, 'TZ_CASE_CONFIG'), String(err));
    return (err as Error).message;
  }
  throw new Error('expected a TZ_CASE_CONFIG error');
};

test('the shipped file: components and events, codes and Chinese names', () => {
  const std = loadStandardCatalogue();
  assert.is(std.find('component', '0101')?.name, '上水井盖');
  assert.is(std.find('component', '0102')?.name, '污水井盖');
  assert.is(std.find('component', '0101')?.className, '公用设施');
  assert.is(std.find('event', '0102')?.name, '暴露垃圾');
  assert.is(std.find('event', '0102')?.className, '市容环境');
  assert.is(std.find('event', '9999'), undefined);
});

test('every category a device profile opens cases in maps to a code of the standard', () => {
  const config = parseCaseConfig(DEFAULT_CASE_CONFIG);
  const dir = new URL('../../device-profiles/profiles/', import.meta.url);
  const used = new Set<string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
    for (const m of readFileSync(new URL(f, dir), 'utf8').matchAll(/case:\s*\{\s*category:\s*([a-z0-9-]+)/g)) used.add(m[1]!);
  }
  assert.ok(used.size >= 5, `found ${[...used].join(',')}`);
  for (const category of [...used, ...config.categories.map((c) => c.code)]) {
    const label = categoryLabel(config, category);
    assert.ok(label.code && label.classCode && label.className && label.nameZh, `${category} has a code: ${JSON.stringify(label)}`);
  }
  assert.equal(categoryLabel(config, 'manhole-cover'), { category: 'manhole-cover', kind: 'component', kindZh: '部件', classCode: '01', className: '公用设施', code: '0102', nameZh: '污水井盖', nameEn: 'Sewage manhole cover' });
});

const BAD_FILES: Array<[string, unknown, RegExp]> = [
  ['unquoted code read as a number', { components: [{ code: 1, name: '公用设施', items: [{ code: '0101', name: '上水井盖' }] }], events: [{ code: '01', name: '市容环境', items: [{ code: '0101', name: '私搭乱建' }] }] }, /components\.0\.code: .*two digits in quotes/],
  ['minor code outside its major class', { components: [{ code: '01', name: '公用设施', items: [{ code: '0201', name: '停车场' }] }], events: [{ code: '01', name: 'x', items: [{ code: '0101', name: 'y' }] }] }, /components\.0\.items\.0\.code: "0201" does not start with its major class "01"/],
  ['duplicate minor code', { components: [{ code: '01', name: 'a', items: [{ code: '0101', name: 'b' }, { code: '0101', name: 'c' }] }], events: [{ code: '01', name: 'x', items: [{ code: '0101', name: 'y' }] }] }, /duplicate minor class "0101"/],
  ['missing Chinese name', { components: [{ code: '01', name: '', items: [{ code: '0101', name: 'b' }] }], events: [{ code: '01', name: 'x', items: [{ code: '0101', name: 'y' }] }] }, /components\.0\.name: the Chinese name is required/],
  ['no events tree', { components: [{ code: '01', name: 'a', items: [{ code: '0101', name: 'b' }] }] }, /events/],
];
for (const [name, raw, pattern] of BAD_FILES) {
  test(`categories file error: ${name}`, () => {
    const message = errorOf(() => parseStandardCatalogue(raw, 'my.yaml'));
    assert.match(message, /(^|: )my\.yaml: /);
    assert.match(message, pattern);
  });
}

test('the case config: an unknown or wrong-tree standardCode is refused, naming the category; a relative file is found next to the config', () => {
  const base = DEFAULT_CASE_CONFIG as { categories: Array<Record<string, unknown>> };
  const wrong = { ...base, categories: base.categories.map((c) => (c.code === 'street-light' ? { ...c, standardCode: '0506' } : c)) };
  assert.match(errorOf(() => parseCaseConfig(wrong, 'cases.yaml')), /cases\.yaml: categories\.4\.standardCode: "0506" is not a component minor class \(部件小类\)/);
  const dir = mkdtempSync(join(tmpdir(), 'tz-cat-'));
  try {
    writeFileSync(join(dir, 'mine.yaml'), 'components:\n  - { code: "01", name: 公用设施, items: [{ code: "0101", name: 上水井盖 }] }\nevents:\n  - { code: "06", name: 其他事件, items: [{ code: "0699", name: 其他 }] }\n');
    const small = { ...base, standardFile: 'mine.yaml', categories: [{ code: 'other-event', name: 'Other', kind: 'event', group: 'x', department: 'city-management', standardCode: '0699' }] };
    writeFileSync(join(dir, 'cases.yaml'), JSON.stringify(small));
    const config = loadCaseConfig(join(dir, 'cases.yaml'));
    assert.is(categoryLabel(config, 'other-event').nameZh, '其他');
    writeFileSync(join(dir, 'cases.yaml'), JSON.stringify({ ...small, standardFile: 'missing.yaml' }));
    assert.match(errorOf(() => loadCaseConfig(join(dir, 'cases.yaml'))), /missing\.yaml: cannot read the categories file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(parseYaml('a: 1'));
});

test.run();
