// Page faults and CPU time per aekit training step with glibc's default malloc settings and
// with mallopt(M_MMAP_THRESHOLD, 32 MB) + mallopt(M_TRIM_THRESHOLD, 1 GB) called inside the
// running process (what aekit's addon could do when it loads). Alternates the two modes in
// fresh processes. Run from the repository root after `npx tsc -p .`:
//
//   AEKIT_NUM_THREADS=1 node bench/probes/mallopt.mjs [mlp|conv|vae] [repeats]
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const addonPath = join(here, '..', 'results', 'mallopt.node');
const [workload = 'vae', repeats = '3', mode] = process.argv.slice(2);

if (mode === undefined) {
  // The driver: build the probe addon, then alternate the modes.
  execFileSync('mkdir', ['-p', dirname(addonPath)]);
  const source = join(here, 'mallopt', 'mallopt.c');
  execFileSync('cc', ['-O2', '-shared', '-fPIC', '-I/usr/include/node', '-o', addonPath, source]);
  for (let i = 0; i < Number(repeats); i++) {
    for (const m of ['default', 'mallopt']) {
      const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), workload, '1', m]);
      process.stdout.write(run.stdout.toString() || run.stderr.toString());
    }
  }
} else {
  if (mode === 'mallopt') {
    const ok = createRequire(import.meta.url)(addonPath).keepFreedMemory(32 * 2 ** 20, 2 ** 30);
    if (!ok) throw new Error('mallopt refused the settings');
  }
  const { tensor, manualSeed, getNumThreads } = await import('../../dist/src/engine/index.js');
  const { build, trainStep } = await import('../lib/aekit_models.mjs');
  const { WORKLOADS } = await import('../lib/common.mjs');
  manualSeed(0);
  const { batch } = WORKLOADS[workload];
  const x = tensor(new Float32Array(batch * 784).fill(0.5), { shape: [batch, 1, 28, 28] });
  const { model, optimizer } = build(workload);
  const steps = workload === 'conv' ? 8 : 40;
  for (let i = 0; i < 5; i++) trainStep(workload, model, optimizer, x);
  const u0 = process.resourceUsage();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) trainStep(workload, model, optimizer, x);
  const wall = (performance.now() - t0) / steps;
  const u1 = process.resourceUsage();
  const per = (key) => (u1[key] - u0[key]) / steps;
  const cpu = (per('userCPUTime') + per('systemCPUTime')) / 1000;
  console.log(
    `${workload} ${mode.padEnd(8)} ${getNumThreads()} threads: wall ${wall.toFixed(1)} ms, ` +
      `CPU ${cpu.toFixed(1)} ms (kernel ${(per('systemCPUTime') / 1000).toFixed(1)} ms), ` +
      `${per('minorPageFault').toFixed(0)} page faults per step`,
  );
}
