// Helpers shared by the Node workers and the driver: the data file, the timing loop, memory.
import { readFileSync } from 'node:fs';

/** Batch size and whether inference is timed, per workload (bench/README.md). */
export const WORKLOADS = {
  mlp: { batch: 256, infer: true },
  conv: { batch: 256, infer: true },
  vae: { batch: 128, infer: false },
};

/** A field of /proc/self/status in kB (VmHWM: peak resident set, VmRSS: now). */
export function statusKB(field) {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return line ? Number(line.split(/\s+/)[1]) : process.resourceUsage().maxRSS;
}

/** Parses `--name value` pairs into an object of strings. */
export function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--')) throw new Error(`unexpected argument ${argv[i]}`);
    out[argv[i].slice(2)] = argv[i + 1];
  }
  return out;
}

/** The worker options every contender takes, with the same defaults as torch_worker.py. */
export function workerOptions(argv) {
  const a = parseArgs(argv);
  if (!(a.workload in WORKLOADS)) throw new Error(`--workload: expected mlp, conv or vae`);
  return {
    workload: a.workload,
    data: a.data,
    count: Number(a.count),
    seconds: Number(a.seconds ?? 3),
    inferSeconds: Number(a['infer-seconds'] ?? 1.5),
    warmupSteps: Number(a['warmup-steps'] ?? 3),
    warmupSeconds: Number(a['warmup-seconds'] ?? 0.5),
    minSteps: Number(a['min-steps'] ?? 3),
    ...WORKLOADS[a.workload],
  };
}

/** The shared images as one Float32Array [count * 784]. */
export function readImages(path, count) {
  const bytes = readFileSync(path);
  const images = new Float32Array(bytes.buffer, bytes.byteOffset, count * 784);
  return new Float32Array(images); // an aligned copy of its own
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs `step(i)` for warm-up (at least `warmupSteps` steps and `warmupSeconds`), then for at
 * least `minSteps` steps and `seconds`; returns samples per second over the timed part.
 */
export function measure(step, batch, seconds, warmupSteps, warmupSeconds, minSteps) {
  const start = performance.now();
  let done = 0;
  while (done < warmupSteps || performance.now() - start < warmupSeconds * 1000) {
    step(done);
    done++;
  }
  const times = [];
  const begin = performance.now();
  while (times.length < minSteps || performance.now() - begin < seconds * 1000) {
    const t0 = performance.now();
    step(done + times.length);
    times.push(performance.now() - t0);
  }
  const elapsed = (performance.now() - begin) / 1000;
  return {
    steps: times.length,
    seconds: elapsed,
    samplesPerSec: (times.length * batch) / elapsed,
    stepMsMedian: median(times),
  };
}

export { median };
