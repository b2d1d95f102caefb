// The console's words live in its locale files, not in its code: both files
// have the same keys and placeholders, every key the pages ask for exists,
// and no page script carries user-visible Latin or CJK text of its own
// (a scan of string literals, with a short allow-list of technical strings).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_STATIC_DIR } from '../index.ts';

const locale = (lang: string): Record<string, string> => JSON.parse(readFileSync(join(CONSOLE_STATIC_DIR, 'locales', `${lang}.json`), 'utf8')) as Record<string, string>;
const zh = locale('zh-CN');
const en = locale('en');
const scripts = ['', 'pages'].flatMap((sub) => readdirSync(join(CONSOLE_STATIC_DIR, sub)).filter((f) => f.endsWith('.js')).map((f) => join(sub, f)));
const source = (file: string): string => readFileSync(join(CONSOLE_STATIC_DIR, file), 'utf8');

/** String literals of a script (template literals with their ${…} parts blanked), comments skipped. */
export function literals(code: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < code.length) {
    const c = code[i]!;
    if (c === '/' && code[i + 1] === '/') { i = code.indexOf('\n', i); if (i < 0) break; continue; }
    if (c === '/' && code[i + 1] === '*') { i = code.indexOf('*/', i) + 2; continue; }
    if (c === "'" || c === '"' || c === '`') {
      let text = '';
      let j = i + 1;
      while (j < code.length && code[j] !== c) {
        if (code[j] === '\\') { text += code[j + 1]; j += 2; continue; }
        if (c === '`' && code[j] === '$' && code[j + 1] === '{') {
          let depth = 1;
          j += 2;
          while (j < code.length && depth > 0) {
            if (code[j] === '{') depth += 1;
            else if (code[j] === '}') depth -= 1;
            else if (code[j] === '`') { j = code.indexOf('`', j + 1); }
            j += 1;
          }
          text += ' ';
          continue;
        }
        text += code[j];
        j += 1;
      }
      out.push(text);
      i = j + 1;
      continue;
    }
    i += 1;
  }
  return out;
}

const CJK = /[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]/;
/** Two words of letters in a row, or a capitalised word: reads like text for people. */
const PROSE = /\b[A-Za-z]{2,}\s+[A-Za-z]{2,}\b|\b[A-Z][a-z]{2,}\b/;
/** Technical literals that look like prose: HTTP, CSS class lists, file names. */
const ALLOWED = [
  /^Bearer\s+$/, /^HTTP $/, /^[A-Z][a-z]+\/[A-Za-z_]+$/, /^(muted|card|kpi|crew-card|sla-line|net|big|primary)( [a-z-]+|\s)*$/, /^dot state- ?$/, /^[a-z-]+( [a-z-]+)* ?$/,
  /^tz-(device|cluster) /, /^HTTP \d*$/, /^Response\.error/, /^<div class=/,
];

test('zh-CN and en have the same keys and the same placeholders', () => {
  assert.equal(Object.keys(zh).sort(), Object.keys(en).sort());
  const holes = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
  for (const key of Object.keys(zh)) assert.equal(holes(zh[key]!), holes(en[key]!), `placeholders of ${key}`);
  assert.ok(CJK.test(zh['nav.cases']!), 'zh-CN is Chinese');
});

test('every key a script asks for with t(…) exists in both locale files', () => {
  const missing: string[] = [];
  for (const file of scripts) {
    for (const m of source(file).matchAll(/\bt\('([^']+)'/g)) if (!(m[1]! in zh) || !(m[1]! in en)) missing.push(`${file}: ${m[1]}`);
    for (const m of source(file).matchAll(/\bt\(`([a-zA-Z.]+)\.\$\{/g)) if (!Object.keys(zh).some((k) => k.startsWith(`${m[1]}.`))) missing.push(`${file}: ${m[1]}.*`);
  }
  const html = readFileSync(join(CONSOLE_STATIC_DIR, 'index.html'), 'utf8');
  for (const m of html.matchAll(/data-i18n="([^"]+)"/g)) if (!(m[1]! in zh)) missing.push(`index.html: ${m[1]}`);
  assert.equal(missing, []);
});

test('labels exist for every case status, action, category, department, severity and device class', async () => {
  const { CASE_STATUSES, CASE_ACTIONS, DEFAULT_CASE_CONFIG } = await import('../../cases/index.ts');
  const { SEVERITIES, loadProfiles } = await import('../../device-profiles/index.ts');
  const config = DEFAULT_CASE_CONFIG as { categories: Array<{ code: string }>; departments: Array<{ id: string }> };
  const need = [
    ...CASE_STATUSES.map((s: string) => `status.${s}`), ...CASE_ACTIONS.map((a: string) => `action.${a}`),
    ...config.categories.map((c) => `category.${c.code}`), ...config.departments.map((d) => `department.${d.id}`),
    ...SEVERITIES.map((s: string) => `severity.${s}`),
    ...(await import('../../service-kit/index.ts')).ROLES.map((r: string) => `role.${r}`),
    ...loadProfiles().all().flatMap((p) => [`class.${p.class}`, ...p.metrics.map((m) => `metric.${m.name}`), ...(p.rules ?? []).map((r: { id: string }) => `rule.${r.id}`),
      ...p.commands.flatMap((c) => [`command.${c.name}`, ...c.params.map((x) => `commandParam.${x.name}`)])]),
  ];
  assert.equal(need.filter((k) => !(k in zh) || !CJK.test(zh[k]!)), [], 'each has a Chinese label');
});

test('no page script carries its own user-visible text (Latin prose or CJK)', () => {
  const found: string[] = [];
  for (const file of scripts) {
    for (const text of literals(source(file))) {
      if (CJK.test(text)) found.push(`${file}: CJK in "${text}"`);
      else if (PROSE.test(text) && !ALLOWED.some((re) => re.test(text))) found.push(`${file}: "${text}"`);
    }
  }
  assert.equal(found, []);
});

test('the scan itself finds hard-coded text', () => {
  const sample = "el('p', {}, 'No such page.'); el('b', {}, `共 ${n} 件`); // Comments are fine\nconst k = 'muted';";
  const hits = literals(sample).filter((s) => CJK.test(s) || (PROSE.test(s) && !ALLOWED.some((re) => re.test(s))));
  assert.equal(hits, ['No such page.', '共   件']);
});

test.run();
