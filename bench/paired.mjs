// Paired bursts: aekit against PyTorch when the machine's speed drifts. engine.mjs starts a
// fresh process per measurement, a few seconds each, minutes apart; on this 2-CPU machine
// every two-thread measurement lands in a fast or a slow mode (a third slower, on both
// engines alike), so medians over a few rounds say more about the modes than the engines.
// Here every contender is one long-lived worker, already warmed up, and the contenders
// train in short bursts one right after the other, round after round, in rotating order.
// Neighbouring bursts share the machine's mode, so the ratio within a round compares the
// engines, and the spread over many rounds says how sure that ratio is. Run by hand:
//
//   node bench/paired.mjs                       # mlp and vae, 30 rounds of 1.5 s bursts
//   node bench/paired.mjs --workloads conv --rounds 10 --seconds 3
//
// Options: --workloads, --rounds, --seconds (per burst), --contenders: 'contender:setting'
// items, the first compared with each other (settings as in lib/settings.mjs; default
// 'aekit:default,pytorch:t2 ompblas,pytorch:default'). Writes bench/results/paired-*.json.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, parseArgs } from './lib/common.mjs';
import { writeImages } from './lib/data.mjs';
import { allSettings } from './lib/settings.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = join(benchDir, '..');
const COUNT = 8192;

const args = parseArgs(process.argv.slice(2));
const options = {
  workloads: (args.workloads ?? 'mlp,vae').split(','),
  rounds: Number(args.rounds ?? 30),
  seconds: Number(args.seconds ?? 1.5),
  contenders: (args.contenders ?? 'aekit:default,pytorch:t2 ompblas,pytorch:default').split(','),
};
const ALL = allSettings();
const chosen = options.contenders.map((item) => {
  const [contender, label] = item.split(':');
  const found = (ALL[contender] ?? []).find((s) => s.label === label);
  if (!found) throw new Error(`--contenders: no setting '${label}' for '${contender}'`);
  return found;
});

/** A worker kept running: `burst(seconds)` resolves with one timed burst's numbers. */
function startWorker(s, workload, dataFile) {
  const child = spawn(
    s.command,
    [...s.args, '--workload', workload, '--data', dataFile, '--count', String(COUNT)].concat([
      '--serve',
      '1',
    ]),
    { env: s.env, cwd: benchDir, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`${s.contender} ${s.label}: worker ended`);
    return JSON.parse(value);
  };
  return {
    name: `${s.contender} ${s.label}`,
    ready: next(),
    async burst(seconds) {
      child.stdin.write(`run ${seconds}\n`);
      return next();
    },
    stop: () => child.stdin.end(),
  };
}

/** A seeded generator in [0, 1) (mulberry32), so the intervals repeat run to run. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The median of `values` and a 95% bootstrap interval for it (2,000 resamples). */
function medianInterval(values) {
  const next = random(1);
  const medians = Array.from({ length: 2000 }, () =>
    median(values.map(() => values[Math.floor(next() * values.length)])),
  ).sort((a, b) => a - b);
  return { median: median(values), low: medians[50], high: medians[1949] };
}

const fixed = (x, digits = 2) => x.toFixed(digits);
const dataFile = writeImages(root, join(benchDir, 'results'), COUNT).file;
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString();
const report = { commit: commit.trim(), started: new Date().toISOString(), options, results: {} };

for (const workload of options.workloads) {
  const workers = chosen.map((s) => startWorker(s, workload, dataFile));
  for (const w of workers) await w.ready;
  const bursts = workers.map(() => []);
  for (let round = 0; round < options.rounds; round++) {
    // Rotate who goes first, so no contender always follows the same one.
    for (let k = 0; k < workers.length; k++) {
      const i = (round + k) % workers.length;
      bursts[i].push(await workers[i].burst(options.seconds));
    }
  }
  for (const w of workers) w.stop();

  console.log(`\n${workload}: ${options.rounds} rounds of ${options.seconds} s bursts`);
  console.log('| contender | samples/s: median (quartiles) | CPU ms/step, median |');
  console.log('|---|---|---|');
  workers.forEach((w, i) => {
    const rates = bursts[i].map((b) => b.samplesPerSec).sort((a, b) => a - b);
    const q = (f) => rates[Math.floor(f * (rates.length - 1))];
    const cpu = median(bursts[i].map((b) => b.cpuMsPerStep));
    console.log(
      `| ${w.name} | ${fixed(median(rates), 0)} (${fixed(q(0.25), 0)}-${fixed(q(0.75), 0)}) ` +
        `| ${fixed(cpu, 1)} |`,
    );
  });
  console.log(
    `| ratio | within-round ratio: median [95% interval] | rounds ${workers[0].name} ahead |`,
  );
  console.log('|---|---|---|');
  const ratios = {};
  for (let j = 1; j < workers.length; j++) {
    const perRound = bursts[0].map((b, r) => b.samplesPerSec / bursts[j][r].samplesPerSec);
    const { median: m, low, high } = medianInterval(perRound);
    const ahead = perRound.filter((x) => x > 1).length;
    console.log(
      `| ${workers[0].name} / ${workers[j].name} | ${fixed(m)}x [${fixed(low)}, ${fixed(high)}] ` +
        `| ${ahead} of ${perRound.length} |`,
    );
    ratios[workers[j].name] = { perRound, median: m, low, high, ahead };
  }
  report.results[workload] = {
    bursts: Object.fromEntries(workers.map((w, i) => [w.name, bursts[i]])),
    ratios,
  };
}

const out = join(benchDir, 'results', `paired-${report.started.replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify(report, null, 1));
console.log(`\nraw bursts: ${out}`);
