// Run inside a worker thread by worker.test.ts: loads the engine there and computes for a
// while, then reports a checkable value.
import { parentPort, workerData } from 'node:worker_threads';
import { liveTensors, manualSeed, randn, tidy } from '../../src/engine/index.js';

const { milliseconds } = workerData as { milliseconds: number };
manualSeed(1);
const a = randn([256, 256]);
parentPort?.postMessage({ started: true });
const start = Date.now();
let rounds = 0;
while (Date.now() - start < milliseconds) {
  tidy(() => a.matmul(a).tanh().sum().item());
  rounds++;
}
const check = tidy(() => a.matmul(a).sum().item());
parentPort?.postMessage({ rounds, check, live: liveTensors() });
