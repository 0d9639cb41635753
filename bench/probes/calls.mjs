// Counts aekit's native calls per training step, by addon function and by ATen operator, and
// splits the step's wall time into time inside the addon and time in JavaScript. Run from
// the repository root after `npx tsc -p .`:
//
//   node bench/probes/calls.mjs [mlp|conv|vae] [steps]
//
// The counting wrapper itself costs about 0.1 us per call, which lands in "JavaScript".
import { manualSeed, native, tensor } from '../../dist/src/engine/index.js';
import { build, trainStep } from '../lib/aekit_models.mjs';
import { WORKLOADS } from '../lib/common.mjs';

const workload = process.argv[2] ?? 'mlp';
const steps = Number(process.argv[3] ?? 50);
const { batch } = WORKLOADS[workload];

manualSeed(0);
const addon = native();
const byFunction = new Map();
const byOperator = new Map();
const names = new Map();
let insideMs = 0;
let counting = false;

for (const key of Object.keys(addon)) {
  const original = addon[key];
  if (typeof original !== 'function') continue;
  addon[key] = function counted(...args) {
    if (!counting) return original.apply(addon, args);
    const t0 = performance.now();
    try {
      return original.apply(addon, args);
    } finally {
      insideMs += performance.now() - t0;
      byFunction.set(key, (byFunction.get(key) ?? 0) + 1);
      if (key === 'call') {
        if (!names.has(args[0])) names.set(args[0], operatorName(original, args[0]));
        const name = names.get(args[0]);
        byOperator.set(name, (byOperator.get(name) ?? 0) + 1);
      }
    }
  };
}

function operatorName(call, id) {
  counting = false;
  const schema = addon.operatorSchema(id);
  counting = true;
  return schema.slice(0, schema.indexOf('('));
}

const x = tensor(new Float32Array(batch * 784).fill(0.5), { shape: [batch, 1, 28, 28] });
const { model, optimizer } = build(workload);
for (let i = 0; i < 5; i++) trainStep(workload, model, optimizer, x);

counting = true;
const t0 = performance.now();
for (let i = 0; i < steps; i++) trainStep(workload, model, optimizer, x);
const wallMs = performance.now() - t0;
counting = false;

const per = (n) => (n / steps).toFixed(1);
const sorted = (map) => [...map.entries()].sort((a, b) => b[1] - a[1]);
const total = [...byFunction.values()].reduce((a, b) => a + b, 0);
console.log(`${workload}: ${steps} steps, batch ${batch}, ${addon.getNumThreads()} threads`);
console.log(`native calls per step: ${per(total)}`);
for (const [key, n] of sorted(byFunction)) console.log(`  ${key.padEnd(16)} ${per(n)}`);
console.log('ATen operators per step (through call):');
for (const [name, n] of sorted(byOperator)) console.log(`  ${name.padEnd(40)} ${per(n)}`);
const stepMs = wallMs / steps;
const insideStep = insideMs / steps;
console.log(
  `per step: wall ${stepMs.toFixed(3)} ms, inside the addon ${insideStep.toFixed(3)} ms, ` +
    `JavaScript ${(stepMs - insideStep).toFixed(3)} ms (${(((stepMs - insideStep) / stepMs) * 100).toFixed(1)}%)`,
);
