/**
 * State dicts move to PyTorch: aekit saves an optimizer's state dict with the engine's
 * saveFile, PyTorch 1.13 loads it into torch.optim.<Name>.load_state_dict and steps once,
 * and its parameters match aekit's own next step within RTOL. One Python run for all.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { SavedValue, Tensor, manualSeed, randn, saveFile } from '../../src/engine/index.js';
import { Adam, AdamW, Optimizer, ParamGroup, SGD } from '../../src/optim/index.js';
import { generatedDir, runPython } from '../helpers/pytorch.js';
import { assertClose } from './golden.js';

const SHAPES = [[3, 4], [5], [2, 2, 2]];
const GROUPS = [[0, 1], [2]];

type Make = (groups: { params: Tensor[] }[]) => Optimizer<ParamGroup>;

const CASES: [string, Make][] = [
  ['SGD', (g) => new SGD(g, { lr: 0.05, momentum: 0.9, nesterov: true })],
  ['Adam', (g) => new Adam(g, { lr: 0.01, amsgrad: true, weightDecay: 0.1 })],
  ['AdamW', (g) => new AdamW(g, { lr: 0.01, betas: [0.8, 0.9] })],
];

interface Result {
  params: number[][];
  layout: Record<string, Record<string, unknown>>;
}

function setGrads(params: Tensor[]): Tensor[] {
  return params.map((param) => {
    const grad = randn(param.shape);
    param.grad = grad;
    return grad;
  });
}

/** Two steps here, the state and the next gradients saved, then the third step here. */
function prepare(name: string, make: Make, dir: string): { file: string; after: number[][] } {
  manualSeed(7);
  const params = SHAPES.map((shape) => randn(shape).requiresGrad_());
  const optimizer = make(GROUPS.map((ids) => ({ params: ids.map((i) => params[i]) })));
  for (let step = 0; step < 2; step++) {
    for (const grad of setGrads(params)) grad.dispose();
    optimizer.step();
  }
  const grads = setGrads(params);
  const copies = params.map((param) => param.detach().clone());
  const file = join(dir, `${name}.pt`);
  saveFile(file, {
    optimizer: name,
    params: copies,
    grads,
    groups: GROUPS,
    state_dict: optimizer.stateDict() as unknown as SavedValue,
  });
  optimizer.step();
  const after = params.map((param) => Array.from(param.toFloat32Array()));
  for (const t of [...copies, ...grads, ...params]) t.dispose();
  optimizer.dispose();
  return { file, after };
}

describe('optimizer state dicts load in PyTorch 1.13', () => {
  const dir = generatedDir('optim-interop');
  const prepared = new Map<string, { file: string; after: number[][] }>();

  before(() => {
    const args: string[] = [];
    for (const [name, make] of CASES) {
      const entry = prepare(name, make, dir);
      prepared.set(name, entry);
      args.push(entry.file, join(dir, `${name}.json`));
    }
    runPython('optim_interop.py', args);
  });

  for (const [name] of CASES) {
    it(`${name}: PyTorch continues where aekit stopped`, () => {
      const entry = prepared.get(name);
      assert.ok(entry);
      const result = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Result;
      entry.after.forEach((values, i) => {
        assertClose(values, result.params[i], `${name} param ${i}`);
      });
      if (name !== 'SGD') assert.deepEqual(result.layout['0'].step, ['torch.float32', []]);
      else assert.deepEqual(result.layout['0'].momentum_buffer, ['torch.float32', [3, 4]]);
    });
  }
});
