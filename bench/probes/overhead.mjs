// Fixed cost of one aekit training step, apart from the kernels: the MLP autoencoder of
// workload (a) shrunk to 16-8-4-8-16 on a batch of 4, so that the arithmetic is negligible
// and what remains is the per-operator cost of the framework. Compare with overhead.py.
//
//   AEKIT_NUM_THREADS=1 node bench/probes/overhead.mjs
import { F, manualSeed, noGrad, tensor, tidy } from '../../dist/src/engine/index.js';
import { Linear, ReLU, Sequential, Sigmoid } from '../../dist/src/nn/index.js';
import { Adam } from '../../dist/src/optim/index.js';
import { Autoencoder } from '../lib/aekit_models.mjs';

manualSeed(0);
const model = new Autoencoder(
  new Sequential(new Linear(16, 8), new ReLU(), new Linear(8, 4), new ReLU()),
  new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 16), new Sigmoid()),
);
const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
const x = tensor(new Float32Array(4 * 16).fill(0.5), { shape: [4, 16] });

function train() {
  const loss = tidy(() => {
    optimizer.zeroGrad();
    const loss = F.bce(model.forward(x), x);
    loss.backward();
    return loss;
  });
  optimizer.step();
  loss.item();
  loss.dispose();
}

const forward = () => noGrad(() => model.forward(x).dispose());

/** Microseconds per call of `fn`, wall and CPU, best of 5 runs of `n` calls. */
function time(fn, n) {
  for (let i = 0; i < n; i++) fn();
  let best = { wall: Infinity, cpu: Infinity };
  for (let run = 0; run < 5; run++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    const wall = ((performance.now() - t0) * 1000) / n;
    const cpu = process.cpuUsage(cpu0);
    if (wall < best.wall) best = { wall, cpu: (cpu.user + cpu.system) / n };
  }
  return best;
}

const parts = {
  'train step': time(train, 2000),
  'forward (no grad)': time(forward, 5000),
  zeroGrad: time(() => optimizer.zeroGrad(), 5000),
  'one relu': time(() => noGrad(() => x.relu().dispose()), 20000),
};
for (const [name, t] of Object.entries(parts)) {
  console.log(`aekit ${name.padEnd(18)} ${t.wall.toFixed(1)} us wall, ${t.cpu.toFixed(1)} us CPU`);
}
