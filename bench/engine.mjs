// The engine benchmark: aekit against PyTorch and TensorFlow.js (WASM) on the same models and
// data, side by side in one run. Each measurement is a fresh process (so that its peak RSS is
// its own); contenders and thread settings alternate within every round, and rounds repeat,
// because the machine is shared and noisy. Prints a table of medians and ratios, and writes
// every raw measurement to bench/results/. Run by hand, never in CI:
//
//   node bench/engine.mjs            # the full run (a few minutes per round)
//   node bench/engine.mjs --quick    # one short round with the main thread settings
//
// Options: --rounds N, --seconds S (timed training per measurement), --workloads mlp,conv,vae,
// --contenders aekit,pytorch,tfjs, --settings 'default,t1 b1' (only these thread settings),
// --malloc (adds settings with glibc's malloc told to keep freed memory: see MALLOC below).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, parseArgs } from './lib/common.mjs';
import { writeImages } from './lib/data.mjs';
import { allSettings } from './lib/settings.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = join(benchDir, '..');
const resultsDir = join(benchDir, 'results');
const COUNT = 8192; // images: 32 batches of 256, 64 of 128

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const mallocVariants = argv.includes('--malloc');
const args = parseArgs(argv.filter((a) => a !== '--quick' && a !== '--malloc'));
const settings = {
  rounds: Number(args.rounds ?? (quick ? 1 : 3)),
  seconds: Number(args.seconds ?? (quick ? 1.5 : 2)),
  inferSeconds: Number(args['infer-seconds'] ?? (quick ? 0.75 : 1)),
  workloads: (args.workloads ?? 'mlp,conv,vae').split(','),
  contenders: (args.contenders ?? 'aekit,pytorch,tfjs').split(','),
};

// ---- contenders and thread settings (lib/settings.mjs) ---------------------------------

const ALL = allSettings(mallocVariants);
const QUICK_LABELS = {
  aekit: ['default', 't1 b1', 'default +malloc'],
  pytorch: ['default', 't1 b1', 't2 ompblas', 't1 b1 +malloc'],
  tfjs: null,
};

/** The settings to run, alternating contenders: aekit, pytorch, tfjs, aekit, pytorch, ... */
function schedule() {
  const lists = settings.contenders.map((c) => {
    if (!ALL[c]) throw new Error(`--contenders: unknown contender '${c}'`);
    const keep = args.settings ? args.settings.split(',') : quick ? QUICK_LABELS[c] : null;
    return ALL[c].filter((s) => (keep === null ? !s.optIn : keep.includes(s.label)));
  });
  const order = [];
  for (let i = 0; lists.some((l) => i < l.length); i++) {
    for (const list of lists) if (i < list.length) order.push(list[i]);
  }
  return order;
}

// ---- running ------------------------------------------------------------------------

function runWorker(s, workload, dataFile) {
  const workerArgs = [
    ...s.args,
    ...['--workload', workload, '--data', dataFile, '--count', String(COUNT)],
    ...['--seconds', String(settings.seconds), '--infer-seconds', String(settings.inferSeconds)],
  ];
  if (s.contender === 'tfjs') workerArgs.push('--warmup-steps', '2', '--min-steps', '2');
  return new Promise((resolve) => {
    const child = spawn(s.command, workerArgs, { env: s.env, cwd: benchDir });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line));
      } catch {
        const why = err.trim().split('\n').slice(-3).join(' | ') || `exit code ${code}`;
        resolve({ contender: s.contender, workload, error: why });
      }
    });
  });
}

/** The 1-minute load average: how busy the machine was around a measurement. */
function loadAverage() {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

function cpuModel() {
  const line = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('model name'));
  return line ? line.split(':')[1].trim() : 'unknown';
}

function gitCommit() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root });
    return commit.toString().trim();
  } catch {
    return 'unknown';
  }
}

// ---- report -------------------------------------------------------------------------

const fmt = (x) =>
  x === undefined || Number.isNaN(x) ? '-' : Math.round(x).toLocaleString('en-US');
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}x` : '-');

function summarise(records) {
  const rows = new Map();
  for (const r of records) {
    const key = `${r.workload}|${r.contender}|${r.label}`;
    if (!rows.has(key)) rows.set(key, { ...r, runs: [] });
    rows.get(key).runs.push(r.result);
  }
  for (const row of rows.values()) {
    const ok = row.runs.filter((x) => !x.error);
    const pick = (f) => {
      const values = ok.map(f).filter((v) => v !== undefined);
      return values.length ? median(values) : undefined;
    };
    row.train = pick((x) => x.train?.samplesPerSec);
    row.trainAll = ok.map((x) => x.train?.samplesPerSec).filter((v) => v !== undefined);
    row.cpuMs = pick((x) => x.train?.cpuMsPerStep);
    row.reconstruct = pick((x) => x.reconstruct?.samplesPerSec);
    row.encode = pick((x) => x.encode?.samplesPerSec);
    row.rssMB = pick((x) => x.rssPeakKB / 1024);
    row.baseMB = pick((x) => x.rssStartKB / 1024);
    row.threads = ok[0]?.threads;
    row.note = ok[0]?.trainError ?? row.runs.find((x) => x.error)?.error;
  }
  return [...rows.values()];
}

function table(rows, workload) {
  const lines = [
    `| ${workload} | threads | train samples/s (median; all) | train CPU ms/step | reconstruct/s | encode/s | peak RSS MB (start) |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows.filter((x) => x.workload === workload)) {
    const all = r.trainAll.map(fmt).join(', ');
    const rss = r.rssMB === undefined ? '-' : `${r.rssMB.toFixed(0)} (${r.baseMB.toFixed(0)})`;
    const train =
      r.train === undefined ? `n/a: ${r.note ?? 'no result'}` : `${fmt(r.train)} (${all})`;
    lines.push(
      `| ${r.contender} ${r.label} | ${r.threads ?? '-'} | ${train} | ${r.cpuMs?.toFixed(1) ?? '-'} | ` +
        `${fmt(r.reconstruct)} | ${fmt(r.encode)} | ${rss} |`,
    );
  }
  return lines.join('\n');
}

function ratios(rows) {
  const lines = [
    '| workload | aekit default | best aekit | best PyTorch | tfjs-wasm | default/PyTorch | best/PyTorch | default/tfjs | fastest rounds: default/PyTorch, default/tfjs |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const verdicts = [];
  for (const workload of settings.workloads) {
    // The +malloc settings change the allocator, not the threads: they are not candidates.
    const of = (c) =>
      rows.filter(
        (r) =>
          r.workload === workload && r.contender === c && r.train && !r.label.includes('malloc'),
      );
    const best = (list) => list.reduce((a, b) => (b.train > (a?.train ?? 0) ? b : a), undefined);
    const aekitDefault = of('aekit').find((r) => r.label === 'default');
    const aekitBest = best(of('aekit'));
    const torchBest = best(of('pytorch'));
    const tfjs = of('tfjs')[0];
    const name = (r) => (r ? `${fmt(r.train)} (${r.label})` : '-');
    // The fastest round of each setting: the one least disturbed by other work.
    const fastest = (r) => (r ? Math.max(...r.trainAll) : undefined);
    const torchFastest = Math.max(...of('pytorch').map(fastest));
    lines.push(
      `| ${workload} | ${fmt(aekitDefault?.train)} | ${name(aekitBest)} | ${name(torchBest)} | ${fmt(tfjs?.train)} | ` +
        `${ratio(aekitDefault?.train, torchBest?.train)} | ${ratio(aekitBest?.train, torchBest?.train)} | ` +
        `${ratio(aekitDefault?.train, tfjs?.train)} | ` +
        `${ratio(fastest(aekitDefault), torchFastest)}, ${ratio(fastest(aekitDefault), fastest(tfjs))} |`,
    );
    if (aekitDefault && torchBest) {
      const pass = aekitDefault.train >= torchBest.train;
      verdicts.push(`${workload}: aekit default vs best PyTorch ${pass ? 'meets' : 'MISSES'} 1.0x`);
    }
    if (workload === 'mlp' && aekitDefault && tfjs) {
      const pass = aekitDefault.train >= 20 * tfjs.train;
      verdicts.push(`mlp: aekit default vs tfjs-wasm ${pass ? 'meets' : 'MISSES'} 20x`);
    }
  }
  return `${lines.join('\n')}\n\n${verdicts.map((v) => `- ${v}`).join('\n')}`;
}

/**
 * aekit against PyTorch with the same thread setting, round by round (each ratio pairs two
 * measurements of one round, which ran minutes apart at most): the median over rounds of
 * the throughput ratio, and of the ratio of CPU time per step (PyTorch / aekit; above 1
 * means aekit spent less CPU time on a step).
 */
function matched(records) {
  const pairs = [
    ['default', 't2 ompblas'],
    ['t1 b1', 't1 b1'],
    ['t2 b1', 't2 b1'],
    ['t1 b2', 't1 b2'],
    ['t2 b2', 't2 b2'],
    ['default +malloc', 't2 b1 +malloc'],
    ['default +malloc', 't1 b1 +malloc'],
  ];
  const lines = [
    '| workload | aekit / PyTorch | throughput ratio (median; per round) | CPU-time ratio |',
    '|---|---|---|---|',
  ];
  for (const workload of settings.workloads) {
    for (const [mine, theirs] of pairs) {
      const speed = [];
      const cpu = [];
      for (let round = 0; round < settings.rounds; round++) {
        const find = (contender, label) =>
          records.find(
            (r) =>
              r.round === round &&
              r.workload === workload &&
              r.contender === contender &&
              r.label === label,
          )?.result.train;
        const a = find('aekit', mine);
        const t = find('pytorch', theirs);
        if (!a || !t) continue;
        speed.push(a.samplesPerSec / t.samplesPerSec);
        cpu.push(t.cpuMsPerStep / a.cpuMsPerStep);
      }
      if (speed.length === 0) continue;
      const each = speed.map((v) => v.toFixed(2)).join(', ');
      lines.push(
        `| ${workload} | ${mine} / ${theirs} | ${median(speed).toFixed(2)}x (${each}) | ` +
          `${median(cpu).toFixed(2)}x |`,
      );
    }
  }
  return lines.join('\n');
}

// ---- main ---------------------------------------------------------------------------

if (
  settings.contenders.includes('aekit') &&
  !existsSync(join(root, 'dist', 'src', 'optim', 'index.js'))
) {
  console.error("aekit is not compiled: run 'npx tsc -p .' in the repository root first");
  process.exit(2);
}
if (!existsSync(join(benchDir, 'node_modules', '@tensorflow', 'tfjs-backend-wasm'))) {
  console.error("the bench's own packages are missing: run 'npm --prefix bench ci' first");
  process.exit(2);
}

const { file: dataFile, source } = writeImages(root, resultsDir, COUNT);
const order = schedule();
const started = new Date();
const machine = { nproc: availableParallelism(), cpu: cpuModel() };
console.log(`aekit engine benchmark, ${started.toISOString()}, commit ${gitCommit()}`);
console.log(`machine: ${machine.nproc} CPUs, ${machine.cpu}; data: ${source}`);
console.log(
  `${settings.rounds} round(s) x ${settings.workloads.length} workload(s) x ${order.length} ` +
    `settings, ${settings.seconds} s timed training each${quick ? ' (--quick)' : ''}`,
);

const records = [];
for (let round = 0; round < settings.rounds; round++) {
  for (const workload of settings.workloads) {
    // Rotate the order each round so that no setting always runs first or after another.
    const shift = (round * 3) % order.length;
    const rotated = [...order.slice(shift), ...order.slice(0, shift)];
    for (const s of rotated) {
      const loadBefore = loadAverage();
      const result = await runWorker(s, workload, dataFile);
      const load = [loadBefore, loadAverage()];
      records.push({ round, workload, contender: s.contender, label: s.label, load, result });
      const value = result.train
        ? `${fmt(result.train.samplesPerSec)} samples/s, ` +
          `${result.train.cpuMsPerStep.toFixed(1)} CPU ms/step`
        : (result.error ?? result.trainError);
      const where = `round ${round + 1} ${workload} ${s.contender} ${s.label}`;
      console.log(`  ${where}: ${value} (load ${load.join(' -> ')})`);
    }
  }
}

const rows = summarise(records);
const versions = {};
for (const r of records) Object.assign(versions, r.result.versions ?? {});
const report = [
  '',
  `Training, inference and memory (medians over ${settings.rounds} round(s)):`,
  '',
  ...settings.workloads.map((w) => `${table(rows, w)}\n`),
  'aekit against the others (training samples/s):',
  '',
  ratios(rows),
  '',
  'aekit against PyTorch with the same thread setting, paired within each round:',
  '',
  matched(records),
  '',
  `versions: ${Object.entries(versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`,
  `load average (1 min) around the measurements: median ${median(records.flatMap((r) => r.load)).toFixed(1)}, ` +
    `max ${Math.max(...records.flatMap((r) => r.load))}`,
  `elapsed: ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s`,
].join('\n');
console.log(report);

const stamp = started.toISOString().replace(/[:.]/g, '-');
const rawFile = join(resultsDir, `engine-${stamp}.json`);
writeFileSync(rawFile, JSON.stringify({ started, machine, settings, source, records }, null, 1));
console.log(`raw results: ${rawFile}`);
