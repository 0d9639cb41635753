// Helpers shared by the Node workers and the driver: the data file, the timing loop, memory.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

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
    // `--serve 1`: stay up and train one timed burst per 'run SECONDS' line on stdin.
    serve: a.serve === '1',
    ...WORKLOADS[a.workload],
  };
}

/**
 * The shared images cut into batches of `batch` (a trailing part batch is dropped): each
 * batch is read into one reused buffer and handed to `make`, which copies it into a tensor
 * of its engine. So the process holds the data once, in the engine, as the Python worker
 * does (its tensors share the bytes it read).
 */
export function readBatches(path, count, batch, make) {
  const buffer = new Float32Array(batch * 784);
  const bytes = new Uint8Array(buffer.buffer);
  const fd = openSync(path, 'r');
  const batches = [];
  try {
    for (let start = 0; start + batch <= count; start += batch) {
      const read = readSync(fd, bytes, 0, bytes.length, start * 784 * 4);
      if (read !== bytes.length) throw new Error(`${path}: expected ${count} images`);
      batches.push(make(buffer));
    }
  } finally {
    closeSync(fd);
  }
  return batches;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs `step(i)` for warm-up (at least `warmupSteps` steps and `warmupSeconds`), then for at
 * least `minSteps` steps and `seconds`; returns samples per second over the timed part and
 * the process's CPU time per step.
 */
export function measure(step, batch, seconds, warmupSteps, warmupSeconds, minSteps) {
  const start = performance.now();
  let done = 0;
  while (done < warmupSteps || performance.now() - start < warmupSeconds * 1000) {
    step(done);
    done++;
  }
  const times = [];
  const cpuBegin = process.cpuUsage();
  const usageBegin = process.resourceUsage();
  const begin = performance.now();
  while (times.length < minSteps || performance.now() - begin < seconds * 1000) {
    const t0 = performance.now();
    step(done + times.length);
    times.push(performance.now() - t0);
  }
  const elapsed = (performance.now() - begin) / 1000;
  const cpu = process.cpuUsage(cpuBegin);
  const usage = process.resourceUsage();
  const perStep = (key) => (usage[key] - usageBegin[key]) / times.length;
  return {
    steps: times.length,
    seconds: elapsed,
    samplesPerSec: (times.length * batch) / elapsed,
    stepMsMedian: median(times),
    // CPU time of the whole process (all threads) per step: less sensitive to other load.
    cpuMsPerStep: (cpu.user + cpu.system) / 1000 / times.length,
    systemMsPerStep: cpu.system / 1000 / times.length,
    minorFaultsPerStep: perStep('minorPageFault'),
    voluntarySwitchesPerStep: perStep('voluntaryContextSwitches'),
    involuntarySwitchesPerStep: perStep('involuntaryContextSwitches'),
  };
}

export { median };

/**
 * The worker side of paired.mjs: after set-up, answers each line 'run SECONDS' on stdin with
 * one timed training burst (`measure`, 0.2 s of warm-up) as a JSON line, until stdin ends.
 */
export async function serveBursts(trainStep, options) {
  const { createInterface } = await import('node:readline');
  console.log(JSON.stringify({ ready: true }));
  for await (const line of createInterface({ input: process.stdin })) {
    const [command, seconds] = line.trim().split(/\s+/);
    if (command !== 'run') continue;
    const burst = measure(trainStep, options.batch, Number(seconds), 1, 0.2, options.minSteps);
    console.log(JSON.stringify(burst));
  }
}
