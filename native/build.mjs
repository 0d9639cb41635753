// Builds the native addon from source with node-gyp (run by `npm install`).
//
// Without libtorch, a plain install still succeeds so that `aekit --help` works; the
// message below says what to install, and the engine repeats it when first used.
// With --strict (the setup script, CI) a missing libtorch fails the build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findLibtorch } from './libtorch.mjs';

// npm names its own node-gyp to install scripts; run by hand, use the one npm bundles.
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, [fromNpm]];
  const root = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' }).stdout?.trim();
  const bundled = root ? join(root, 'npm/node_modules/node-gyp/bin/node-gyp.js') : '';
  if (bundled && existsSync(bundled)) return [process.execPath, [bundled]];
  return ['node-gyp', []];
}

const strict = process.argv.includes('--strict');
let found;
try {
  found = findLibtorch();
} catch (error) {
  console.error(`aekit: ${error.message}`);
  process.exit(strict ? 1 : 0);
}
if (!found.tested) {
  console.error(`aekit: warning: libtorch ${found.version} is untested; aekit is tested on 1.13.`);
}
console.error(
  `aekit: building the addon against libtorch ${found.version} (${found.source}, ${found.lib})`,
);
const [command, args] = nodeGyp();
// Build against the headers of the running Node.js (no header download).
const prefix = join(process.execPath, '..', '..');
const nodedir =
  process.env.npm_config_nodedir ||
  (existsSync(join(prefix, 'include/node/node_api.h')) ? prefix : undefined);
const jobs = ['-j', 'max', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const result = spawnSync(command, [...args, 'rebuild', ...jobs], { stdio: 'inherit' });
if (result.error) {
  console.error(`aekit: could not run node-gyp: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
