// aekit's layers against PyTorch's: forward, backward and default initialisation, from
// values that test/fixtures/golden_nn.py writes (run here, so they are always current).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Generator, Tensor, manualSeed, tensor, tidy } from '../../src/engine/index.js';
import {
  BatchNorm1d,
  BatchNorm2d,
  Conv1d,
  Conv2d,
  ConvTranspose1d,
  ConvTranspose2d,
  Flatten,
  GRU,
  LSTM,
  LayerNorm,
  Linear,
  Module,
  ReLU,
  Sequential,
  Sigmoid,
  Unflatten,
  init,
} from '../../src/nn/index.js';
import { generatedDir, runPython } from '../helpers/pytorch.js';
import { Encoded, assertClose, assertExact, decode } from './tensors.js';

interface Case {
  name: string;
  config: Record<string, number | boolean>;
  state: Record<string, Encoded>;
  inputs: Encoded[];
  outputs: Encoded[];
  lossWeights: Encoded[];
  inputGrads: Encoded[];
  paramGrads: Record<string, Encoded>;
  stateAfter: Record<string, Encoded>;
}

interface Golden {
  cases: Case[];
  init: Record<string, { seed: number; state: Record<string, Encoded> }>;
  initFunctions: Record<string, { seed: number; values: Encoded }>;
  gains: Record<string, number>;
  keys: Record<string, [string, number[], string][]>;
}

const dir = generatedDir('nn');
runPython('golden_nn.py', [dir]);
const golden = JSON.parse(readFileSync(join(dir, 'golden_nn.json'), 'utf8')) as Golden;

/** The aekit module for a golden case, and how to turn its inputs into outputs. */
function build(c: Case): { module: Module; run: (inputs: Tensor[]) => Tensor[] } {
  const k = c.config;
  switch (c.name) {
    case 'linear': {
      const module = new Linear(k.in as number, k.out as number);
      return { module, run: ([x]) => [module.forward(x)] };
    }
    case 'conv2d': {
      const options = { stride: k.stride as number, padding: k.padding as number };
      const module = new Conv2d(k.in as number, k.out as number, k.kernel as number, options);
      return { module, run: ([x]) => [module.forward(x)] };
    }
    case 'convTranspose2d': {
      const module = new ConvTranspose2d(k.in as number, k.out as number, k.kernel as number, {
        stride: k.stride as number,
        padding: k.padding as number,
        outputPadding: k.outputPadding as number,
      });
      return { module, run: ([x]) => [module.forward(x)] };
    }
    case 'lstm': {
      const module = new LSTM(k.input as number, k.hidden as number, {
        numLayers: k.numLayers as number,
      });
      return {
        module,
        run: ([x, h, c]) => {
          const out = module.forward(x, { h, c });
          return [out.output, out.h, out.c];
        },
      };
    }
    case 'gru': {
      const module = new GRU(k.input as number, k.hidden as number, { bidirectional: true });
      return {
        module,
        run: ([x]) => {
          const out = module.forward(x);
          return [out.output, out.h];
        },
      };
    }
    case 'batchNorm2dTrain':
    case 'batchNorm2dEval': {
      const module = new BatchNorm2d(k.features as number).train(k.training as boolean);
      return { module, run: ([x]) => [module.forward(x)] };
    }
    default:
      throw new Error(`no aekit module for golden case ${c.name}`);
  }
}

for (const c of golden.cases) {
  test(`${c.name}: forward and backward match PyTorch (rtol 1e-5, atol 1e-6)`, () => {
    const { module, run } = build(c);
    tidy(() => {
      const state = Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, decode(v)]));
      module.loadStateDict(state);
      const inputs = c.inputs.map((x) => decode(x).requiresGrad_());
      const outputs = run(inputs);
      outputs.forEach((out, i) => assertClose(out, c.outputs[i], `output ${i}`));

      // loss = sum(output * lossWeight) over every output, as the script computes it.
      const terms = outputs.map((out, i) => out.mul(decode(c.lossWeights[i])).sum());
      terms.reduce((a, b) => a.add(b)).backward();
      inputs.forEach((x, i) => assertClose(x.grad as Tensor, c.inputGrads[i], `input ${i} grad`));
      const names = module.namedParameters().map(([name]) => name);
      assert.deepEqual(names, Object.keys(c.paramGrads));
      for (const [name, param] of module.namedParameters()) {
        assertClose(param.grad as Tensor, c.paramGrads[name], `${name} grad`);
      }

      // Buffers after the step (BatchNorm's running statistics and batch count).
      const after = module.stateDict();
      assert.deepEqual(Object.keys(after), Object.keys(c.stateAfter));
      for (const [name, value] of Object.entries(after)) {
        assertClose(value, c.stateAfter[name], `${name} after`);
      }
    });
    module.dispose();
  });
}

const makers: Record<string, (generator?: Generator) => Module> = {
  linear: (generator) => new Linear(5, 3, { generator }),
  linearNoBias: (generator) => new Linear(4, 2, { bias: false, generator }),
  conv1d: (generator) => new Conv1d(2, 3, 4, { generator }),
  conv2d: (generator) => new Conv2d(4, 6, [3, 2], { groups: 2, generator }),
  convTranspose1d: (generator) => new ConvTranspose1d(3, 2, 5, { generator }),
  convTranspose2d: (generator) => new ConvTranspose2d(4, 6, 3, { groups: 2, generator }),
  lstm: (generator) => new LSTM(3, 5, { numLayers: 2, bidirectional: true, generator }),
  gru: (generator) => new GRU(4, 3, { generator }),
  batchNorm2d: (generator) => new BatchNorm2d(3, { generator }),
  layerNorm: (generator) => new LayerNorm([2, 3], { generator }),
};

test('default initialisation after manualSeed equals PyTorch value for value', () => {
  assert.deepEqual(Object.keys(makers), Object.keys(golden.init));
  for (const [name, { seed, state }] of Object.entries(golden.init)) {
    manualSeed(seed);
    const module = makers[name]();
    tidy(() => {
      const ours = module.stateDict();
      assert.deepEqual(Object.keys(ours), Object.keys(state), `${name}: keys`);
      for (const [key, value] of Object.entries(ours))
        assertExact(value, state[key], `${name}.${key}`);
    });
    module.dispose();
  }
});

test('a seeded Generator gives the same weights as manualSeed with that seed', () => {
  const { seed, state } = golden.init.lstm;
  const module = makers.lstm(new Generator(seed));
  tidy(() => {
    for (const [key, value] of Object.entries(module.stateDict())) {
      assertExact(value, state[key], key);
    }
  });
  module.dispose();
});

test('init functions draw what torch.nn.init draws after the same seed', () => {
  const calls: Record<string, (t: Tensor) => Tensor> = {
    xavierUniform: (t) => init.xavierUniform(t, { gain: 1.5 }),
    xavierNormal: (t) => init.xavierNormal(t),
    kaimingUniform: (t) => init.kaimingUniform(t, { a: 0.2, mode: 'fan_out' }),
    kaimingNormal: (t) => init.kaimingNormal(t, { nonlinearity: 'relu' }),
    uniform: (t) => init.uniform(t, -2, 3),
    normal: (t) => init.normal(t, 1, 0.5),
  };
  assert.deepEqual(Object.keys(calls), Object.keys(golden.initFunctions));
  tidy(() => {
    for (const [name, { seed, values }] of Object.entries(golden.initFunctions)) {
      manualSeed(seed);
      assertExact(calls[name](tensor(new Float32Array(72), { shape: [4, 6, 3] })), values, name);
    }
  });
  const g = golden.gains;
  assert.equal(init.calculateGain('relu'), g.relu);
  assert.equal(init.calculateGain('tanh'), g.tanh);
  assert.equal(init.calculateGain('leaky_relu'), g.leaky_relu);
  assert.equal(init.calculateGain('leaky_relu', 0.2), g['leaky_relu_0.2']);
  assert.equal(init.calculateGain('selu'), g.selu);
  assert.equal(init.calculateGain('sigmoid'), g.sigmoid);
});

/** The same nested model as the script's Autoencoder class. */
class Autoencoder extends Module {
  readonly encoder = this.registerModule(
    'encoder',
    new Sequential(
      new Conv2d(1, 4, 3, { padding: 1 }),
      new BatchNorm2d(4),
      new ReLU(),
      new Flatten(),
      new Linear(4 * 4 * 4, 8),
    ),
  );

  readonly decoder = this.registerModule(
    'decoder',
    new Sequential(
      new Linear(8, 64),
      new Unflatten(1, [4, 4, 4]),
      new ConvTranspose2d(4, 1, 3, { stride: 2, padding: 1, outputPadding: 1, bias: false }),
      new Sigmoid(),
    ),
  );

  readonly norm = this.registerModule('norm', new LayerNorm(8));

  forward(x: Tensor): Tensor {
    return this.decoder.forward(this.encoder.forward(x));
  }
}

const keyMakers: Record<string, () => Module> = {
  autoencoder: () => new Autoencoder(),
  batchNorm1dNoAffine: () => new BatchNorm1d(5, { affine: false }),
  batchNorm2dNoStats: () => new BatchNorm2d(3, { trackRunningStats: false }),
  lstmBidirectional: () => new LSTM(3, 4, { numLayers: 2, bidirectional: true }),
  gruNoBias: () => new GRU(3, 4, { numLayers: 2, bias: false }),
  layerNormNoAffine: () => new LayerNorm(4, { elementwiseAffine: false }),
};

test('stateDict keys, order, shapes and dtypes equal PyTorch state_dict keys', () => {
  assert.deepEqual(Object.keys(keyMakers), Object.keys(golden.keys));
  for (const [name, expected] of Object.entries(golden.keys)) {
    const module = keyMakers[name]();
    tidy(() => {
      const ours = Object.entries(module.stateDict()).map(([k, v]) => [k, v.shape, v.dtype]);
      assert.deepEqual(ours, expected, name);
    });
    module.dispose();
  }
});
