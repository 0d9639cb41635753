/**
 * Learning-rate schedules against PyTorch 1.13: 30-epoch sequences (two parameter groups)
 * for StepLR, CosineAnnealingLR (fresh and resumed) and ReduceLROnPlateau (min/max,
 * rel/abs, cooldown, per-group minLr), compared within 1e-12 relative; state dicts, and
 * resuming from them halfway.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Tensor, zeros } from '../../src/engine/index.js';
import {
  CosineAnnealingLR,
  ReduceLROnPlateau,
  SGD,
  StepLR,
  type LRScheduler,
} from '../../src/optim/index.js';
import { golden } from './golden.js';

interface ScheduleRun {
  name: string;
  kwargs: Record<string, unknown>;
  lrs: number[][];
  initial_lrs: (number | null)[];
  state_dict: Record<string, unknown>;
  optimizer_param_group_keys: string[];
  metrics: number[] | null;
}

const SCHEDULE_TOLERANCE = 1e-12;

const NAMES: Record<string, string> = {
  step_size: 'stepSize',
  T_max: 'tMax',
  eta_min: 'etaMin',
  last_epoch: 'lastEpoch',
  threshold_mode: 'thresholdMode',
  min_lr: 'minLr',
};

type Schedule = LRScheduler | ReduceLROnPlateau;

function optimizerWithTwoGroups(resuming = false): { optimizer: SGD; params: Tensor[] } {
  const params = [zeros([1], { requiresGrad: true }), zeros([1], { requiresGrad: true })];
  const optimizer = new SGD([
    { params: [params[0]], lr: 0.1 },
    { params: [params[1]], lr: 0.05 },
  ]);
  if (resuming) for (const group of optimizer.paramGroups) group.initialLr = group.lr;
  return { optimizer, params };
}

function makeSchedule(run: ScheduleRun, optimizer: SGD): Schedule {
  const options = Object.fromEntries(
    Object.entries(run.kwargs).map(([key, value]) => [NAMES[key] ?? key, value]),
  );
  if (run.name.startsWith('step')) return new StepLR(optimizer, options as never);
  if (run.name.startsWith('cosine')) return new CosineAnnealingLR(optimizer, options as never);
  return new ReduceLROnPlateau(optimizer, options);
}

function stepOnce(schedule: Schedule, run: ScheduleRun, epoch: number): void {
  if (schedule instanceof ReduceLROnPlateau) schedule.step((run.metrics as number[])[epoch]);
  else schedule.step();
}

function assertLrs(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((lr, g) => {
    const ok = Math.abs(lr - expected[g]) <= SCHEDULE_TOLERANCE * Math.abs(expected[g]);
    assert.ok(ok, `${what} group ${g}: expected ${expected[g]}, got ${lr}`);
  });
}

function assertStateDict(actual: Record<string, unknown>, expected: Record<string, unknown>) {
  assert.deepEqual(Object.keys(actual), Object.keys(expected));
  for (const [key, value] of Object.entries(expected)) {
    if (Array.isArray(value)) assertLrs(actual[key] as number[], value as number[], key);
    else if (typeof value === 'number' && Number.isFinite(value)) {
      assertLrs([actual[key] as number], [value], key);
    } else assert.equal(actual[key], value, key);
  }
}

/** Registers the schedule golden tests. */
export function scheduleGoldenTests(): void {
  describe('schedules match PyTorch 1.13 over 30 epochs', () => {
    const runs = golden<{ runs: ScheduleRun[] }>('schedules.json').runs;

    for (const run of runs) {
      it(run.name, () => {
        const { optimizer, params } = optimizerWithTwoGroups(run.kwargs.last_epoch !== undefined);
        const schedule = makeSchedule(run, optimizer);
        const lrs = () => optimizer.paramGroups.map((group) => group.lr);
        assertLrs(lrs(), run.lrs[0], 'epoch 0');
        for (let epoch = 0; epoch < run.lrs.length - 1; epoch++) {
          stepOnce(schedule, run, epoch);
          assertLrs(lrs(), run.lrs[epoch + 1], `epoch ${epoch + 1}`);
          assertLrs(schedule.getLastLr(), run.lrs[epoch + 1], `getLastLr at ${epoch + 1}`);
        }
        assertStateDict(schedule.stateDict(), run.state_dict);
        assert.deepEqual(
          optimizer.paramGroups.map((group) => group.initialLr ?? null),
          run.initial_lrs,
        );
        // PyTorch's key order, except where the script put initial_lr in the group itself.
        const keys = Object.keys(optimizer.stateDict().param_groups[0]);
        if (run.kwargs.last_epoch === undefined)
          assert.deepEqual(keys, run.optimizer_param_group_keys);
        else assert.deepEqual([...keys].sort(), [...run.optimizer_param_group_keys].sort());
        optimizer.dispose();
        for (const param of params) param.dispose();
      });

      it(`${run.name}: resumes from its state dict halfway`, () => {
        const first = optimizerWithTwoGroups(run.kwargs.last_epoch !== undefined);
        const schedule = makeSchedule(run, first.optimizer);
        for (let epoch = 0; epoch < 15; epoch++) stepOnce(schedule, run, epoch);
        const saved = structuredClone(schedule.stateDict());
        const optimizerState = first.optimizer.stateDict();

        // The order PyTorch needs too: make the schedule (its first step sets lr), then load.
        const second = optimizerWithTwoGroups(true);
        const resumed = makeSchedule(run, second.optimizer);
        second.optimizer.loadStateDict(optimizerState);
        resumed.loadStateDict(saved);
        for (let epoch = 15; epoch < run.lrs.length - 1; epoch++) {
          stepOnce(resumed, run, epoch);
          assertLrs(resumed.getLastLr(), run.lrs[epoch + 1], `resumed epoch ${epoch + 1}`);
        }
        for (const { optimizer, params } of [first, second]) {
          optimizer.dispose();
          for (const param of params) param.dispose();
        }
      });
    }
  });
}
