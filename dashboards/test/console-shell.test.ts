// The installed crew app opens offline only if the service worker caches
// every module the app imports: a page module missing from sw.js's SHELL
// breaks the app's start without a network (app.js imports every page).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { CONSOLE_STATIC_DIR } from '../index.ts';

/** Every console module app.js reaches through relative imports, as /console/… paths. */
function modulesFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    const text = readFileSync(join(CONSOLE_STATIC_DIR, path), 'utf8');
    for (const m of text.matchAll(/^\s*import\s[^;]*?from\s+'(\.{1,2}\/[^']+)'/gm)) visit(posix.normalize(posix.join(dirname(path), m[1] ?? '')));
  };
  visit(entry);
  return new Set([...seen].map((p) => `/console/${p}`));
}

test('the service worker caches every module app.js imports', () => {
  const sw = readFileSync(join(CONSOLE_STATIC_DIR, 'sw.js'), 'utf8');
  const shell = new Set([...sw.matchAll(/'(\/console\/[^']*)'/g)].map((m) => m[1]));
  const modules = modulesFrom('app.js');
  assert.ok(modules.has('/console/pages/inspector.js') && modules.has('/console/pages/device-commands.js'), 'the walk follows imports');
  assert.equal([...modules].filter((p) => !shell.has(p)), [], 'missing from SHELL in sw.js');
});

test.run();
