#!/usr/bin/env node
// The aekit command. The TypeScript build lives in dist/; `npm run build` makes it.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error("aekit: not built yet: run 'npm run build' (or 'bash scripts/setup.sh') first");
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
