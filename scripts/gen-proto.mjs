// Regenerates proto/generated/ from proto/tianzhong/v1/*.proto with
// protobufjs-cli (static code + .d.ts). The output is checked in so that
// `npm ci` alone is enough on a fresh machine; CI checks it is up to date.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const srcDir = join(root, 'proto/tianzhong/v1');
const outDir = join(root, 'proto/generated');
mkdirSync(outDir, { recursive: true });
const protos = readdirSync(srcDir).filter((f) => f.endsWith('.proto')).sort().map((f) => join(srcDir, f));
const bin = (name) => join(root, 'node_modules/.bin', name);
const js = join(outDir, 'tianzhong.js');
execFileSync(bin('pbjs'), ['-t', 'static-module', '-w', 'es6', '--es6', '--force-number', '--no-delimited', '--no-beautify', '-o', js, ...protos], { stdio: 'inherit' });
// pbjs emits a namespace import of the CommonJS runtime; Node ESM needs the default import and the extension.
writeFileSync(js, readFileSync(js, 'utf8').replace('import * as $protobuf from "protobufjs/minimal"', 'import $protobuf from "protobufjs/minimal.js"'));
execFileSync(bin('pbts'), ['-o', join(outDir, 'tianzhong.d.ts'), js], { stdio: 'inherit' });
// pbts writes a CommonJS-only `import Long = require("long")`; with --force-number nothing uses Long.
const dts = join(outDir, "tianzhong.d.ts");
writeFileSync(dts, readFileSync(dts, "utf8").replace(/^import Long = require\("long"\);\n/m, ""));
console.log(`generated ${js} from ${protos.length} .proto files`);
