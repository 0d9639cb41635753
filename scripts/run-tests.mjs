// Runs every compiled test file (dist/test/**/*.test.js) with Node's test runner.
// Pass a folder or file prefix to run a part: node scripts/run-tests.mjs engine
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const testRoot = join(root, 'dist', 'test');
const filters = process.argv.slice(2);

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return walk(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

const files = walk(testRoot)
  .filter(
    (file) => filters.length === 0 || filters.some((f) => relative(testRoot, file).startsWith(f)),
  )
  .sort();
if (files.length === 0) {
  console.error(`no test files under ${testRoot}${filters.length ? ` matching ${filters}` : ''}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(result.status ?? 1);
