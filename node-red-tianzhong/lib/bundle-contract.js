'use strict';
// `npm pack` from node-red-tianzhong/: copies the .proto files and the
// built-in profiles into the package, so an install outside the repo finds them.
const fs = require('node:fs');
const path = require('node:path');

const here = path.join(__dirname, '..');
const repo = path.join(here, '..');
for (const [from, to] of [[path.join(repo, 'proto', 'tianzhong'), path.join(here, 'proto', 'tianzhong')], [path.join(repo, 'device-profiles', 'profiles'), path.join(here, 'profiles')]]) {
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
  console.log(`bundled ${path.relative(repo, from)} -> ${path.relative(repo, to)}`);
}
