// Finite-difference gradient checks for every differentiable operator the engine wraps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  F,
  Tensor,
  cat,
  manualSeed,
  rand,
  randn,
  stack,
  tensor,
  where,
} from '../../src/engine/index.js';
import { gradcheck } from '../helpers/gradcheck.js';

manualSeed(0);
const r = (...shape: number[]): Tensor => randn(shape, { dtype: 'float64' });
const positive = (...shape: number[]): Tensor => rand(shape, { dtype: 'float64' }).add(0.5);
// Values kept away from kinks (0 for relu/abs, the bounds for clamp).
const awayFromZero = (...shape: number[]): Tensor => {
  const x = r(...shape);
  return x.add(x.sign().mul(0.2));
};

// Fixed factors so that the function is the same at every evaluation.
const fixed423 = r(4, 2, 3);
const fixed34 = r(3, 4);
const fixed4 = r(4);

type Case = [string, (...xs: Tensor[]) => Tensor, () => Tensor[], { seed?: number }?];

const cases: Case[] = [
  // arithmetic with broadcasting
  ['add', (a, b) => a.add(b, 2), () => [r(2, 3), r(3)]],
  ['add scalar', (a) => a.add(1.5), () => [r(4)]],
  ['sub', (a, b) => a.sub(b), () => [r(2, 3), r(2, 1)]],
  ['rsub', (a) => a.rsub(2), () => [r(3)]],
  ['mul', (a, b) => a.mul(b), () => [r(2, 3), r(1, 3)]],
  ['div', (a, b) => a.div(b), () => [r(2, 3), positive(2, 3)]],
  ['pow scalar', (a) => a.pow(3), () => [r(5)]],
  ['pow tensor', (a, b) => a.pow(b), () => [positive(4), r(4)]],
  ['neg', (a) => a.neg(), () => [r(3)]],
  ['reciprocal', (a) => a.reciprocal(), () => [positive(3)]],
  ['exp', (a) => a.exp(), () => [r(3)]],
  ['log', (a) => a.log(), () => [positive(3)]],
  ['log1p', (a) => a.log1p(), () => [positive(3)]],
  ['expm1', (a) => a.expm1(), () => [r(3)]],
  ['sqrt', (a) => a.sqrt(), () => [positive(3)]],
  ['rsqrt', (a) => a.rsqrt(), () => [positive(3)]],
  ['square', (a) => a.square(), () => [r(3)]],
  ['abs', (a) => a.abs(), () => [awayFromZero(5)]],
  ['sin cos', (a) => a.sin().add(a.cos()), () => [r(4)]],
  ['clamp', (a) => a.clamp(-0.5, 0.5), () => [tensor([-1, -0.2, 0.1, 0.9], { dtype: 'float64' })]],
  ['maximum', (a, b) => a.maximum(b), () => [r(4), r(4)]],
  ['minimum', (a, b) => a.minimum(b), () => [r(4), r(4)]],
  ['lerp', (a, b) => a.lerp(b, 0.3), () => [r(4), r(4)]],
  ['matmul', (a, b) => a.matmul(b), () => [r(2, 3), r(3, 4)]],
  ['batched matmul', (a, b) => a.matmul(b), () => [r(2, 2, 3), r(2, 3, 2)]],
  // reductions
  ['sum', (a) => a.sum(), () => [r(2, 3)]],
  ['sum dim', (a) => a.sum(1, true), () => [r(2, 3)]],
  ['mean dims', (a) => a.mean([0, 2]), () => [r(2, 3, 2)]],
  ['max dim', (a) => a.maxDim(1).values, () => [r(3, 4)]],
  ['min dim', (a) => a.minDim(0).values, () => [r(3, 4)]],
  ['max', (a) => a.max(), () => [r(5)]],
  ['var', (a) => a.var(1), () => [r(2, 4)]],
  ['std', (a) => a.std(), () => [r(6)]],
  ['logsumexp', (a) => a.logsumexp(1), () => [r(2, 4)]],
  ['prod', (a) => a.prod(), () => [positive(4)]],
  ['norm', (a) => a.norm(2, 1), () => [r(3, 4)]],
  ['cumsum', (a) => a.cumsum(0), () => [r(4)]],
  // shapes and indexing
  ['reshape', (a) => a.reshape(3, 2).mul(a.reshape([3, 2])), () => [r(2, 3)]],
  ['view', (a) => a.view(6).square(), () => [r(2, 3)]],
  ['permute', (a) => a.permute(2, 0, 1).mul(fixed423), () => [r(2, 3, 4)]],
  ['transpose', (a) => a.transpose(0, 1).matmul(a), () => [r(3, 2)]],
  ['t', (a) => a.t().square(), () => [r(2, 3)]],
  ['flatten unflatten', (a) => a.flatten(1).unflatten(1, [3, 2]).square(), () => [r(2, 3, 2)]],
  ['unsqueeze squeeze', (a) => a.unsqueeze(0).squeeze(0).square(), () => [r(3)]],
  ['expand', (a) => a.expand(3, 4).mul(fixed34), () => [r(3, 1)]],
  ['slice', (a) => a.slice(1, 1, 4, 2).square(), () => [r(2, 5)]],
  ['select', (a) => a.select(0, 1).square(), () => [r(3, 2)]],
  ['narrow', (a) => a.narrow(1, 1, 2).square(), () => [r(2, 4)]],
  ['index', (a) => a.index([tensor([2, 0, 2], { dtype: 'int64' })]).square(), () => [r(3, 2)]],
  ['indexSelect', (a) => a.indexSelect(1, tensor([1, 1, 0], { dtype: 'int64' })), () => [r(2, 3)]],
  [
    'gather',
    (a) =>
      a.gather(
        1,
        tensor(
          [
            [0, 0],
            [1, 0],
          ],
          { dtype: 'int64' },
        ),
      ),
    () => [r(2, 3)],
  ],
  ['cat', (a, b) => cat([a, b], 1).square(), () => [r(2, 2), r(2, 3)]],
  ['stack', (a, b) => stack([a, b], 0).square(), () => [r(3), r(3)]],
  ['split', (a) => a.split(2, 1)[1].square(), () => [r(2, 5)]],
  ['chunk', (a) => a.chunk(2, 0)[0].square(), () => [r(4, 2)]],
  ['where', (a, b) => where(a.gt(0), a, b), () => [awayFromZero(5), r(5)]],
  ['maskedFill', (a) => a.maskedFill(a.lt(0), 0.5).square(), () => [awayFromZero(5)]],
  ['flip', (a) => a.flip(0).mul(fixed4), () => [r(4)]],
  ['repeat', (a) => a.repeat(2, 3).square(), () => [r(2, 1)]],
  ['pad', (a) => a.pad([1, 2], 0.5).square(), () => [r(2, 3)]],
  // activations
  ['relu', (a) => a.relu(), () => [awayFromZero(6)]],
  ['leakyRelu', (a) => a.leakyRelu(0.1), () => [awayFromZero(6)]],
  ['elu', (a) => a.elu(), () => [awayFromZero(6)]],
  ['gelu', (a) => a.gelu(), () => [r(6)]],
  ['gelu tanh', (a) => a.gelu('tanh'), () => [r(6)]],
  ['silu', (a) => a.silu(), () => [r(6)]],
  ['sigmoid', (a) => a.sigmoid(), () => [r(6)]],
  ['tanh', (a) => a.tanh(), () => [r(6)]],
  ['softplus', (a) => a.softplus(), () => [r(6)]],
  ['logSigmoid', (a) => a.logSigmoid(), () => [r(6)]],
  ['softmax', (a) => a.softmax(1), () => [r(2, 4)]],
  ['logSoftmax', (a) => a.logSoftmax(1), () => [r(2, 4)]],
  // layers
  ['linear', (x, w, b) => F.linear(x, w, b), () => [r(3, 4), r(2, 4), r(2)]],
  ['conv1d', (x, w, b) => F.conv1d(x, w, b, { padding: 1 }), () => [r(1, 2, 5), r(3, 2, 3), r(3)]],
  [
    'conv2d',
    (x, w, b) => F.conv2d(x, w, b, { stride: 2, padding: 1 }),
    () => [r(1, 2, 4, 4), r(2, 2, 3, 3), r(2)],
  ],
  [
    'convTranspose1d',
    (x, w, b) => F.convTranspose1d(x, w, b, { stride: 2 }),
    () => [r(1, 2, 3), r(2, 1, 3), r(1)],
  ],
  [
    'convTranspose2d',
    (x, w, b) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }),
    () => [r(1, 2, 3, 3), r(2, 1, 3, 3), r(1)],
  ],
  ['maxPool1d', (x) => F.maxPool1d(x, 2), () => [r(1, 2, 6)]],
  ['maxPool2d', (x) => F.maxPool2d(x, 2), () => [r(1, 1, 4, 4)]],
  ['avgPool1d', (x) => F.avgPool1d(x, 2), () => [r(1, 2, 6)]],
  ['avgPool2d', (x) => F.avgPool2d(x, 2), () => [r(1, 1, 4, 4)]],
  ['upsample nearest', (x) => F.upsample(x, { scaleFactor: 2 }), () => [r(1, 1, 2, 3)]],
  [
    'upsample bilinear',
    (x) => F.upsample(x, { scaleFactor: 2, mode: 'bilinear' }),
    () => [r(1, 1, 2, 3)],
  ],
  ['upsample linear 1d', (x) => F.upsample(x, { size: [7], mode: 'linear' }), () => [r(1, 2, 3)]],
  [
    'batchNorm training',
    (x, w, b) => F.batchNorm(x, { weight: w, bias: b, training: true }),
    () => [r(4, 3, 2), r(3), r(3)],
  ],
  ['layerNorm', (x, w, b) => F.layerNorm(x, [4], w, b), () => [r(3, 4), r(4), r(4)]],
  ['dropout', (x) => F.dropout(x, 0.5, true), () => [r(10)], { seed: 7 }],
  [
    'lstm',
    (x, h, c, wi, wh, bi, bh) =>
      F.lstm(x, [h, c], [wi, wh, bi, bh], { numLayers: 1, hasBiases: true, training: true }).output,
    () => [r(2, 3, 2), r(1, 2, 3), r(1, 2, 3), r(12, 2), r(12, 3), r(12), r(12)],
  ],
  [
    'gru',
    (x, h, wi, wh, bi, bh) =>
      F.gru(x, h, [wi, wh, bi, bh], { numLayers: 1, hasBiases: true, training: true }).output,
    () => [r(2, 3, 2), r(1, 2, 3), r(9, 2), r(9, 3), r(9), r(9)],
  ],
  // losses
  ['mseLoss', (a, b) => F.mseLoss(a, b), () => [r(3, 2), r(3, 2)]],
  ['mseLoss sum', (a, b) => F.mseLoss(a, b, 'sum'), () => [r(3, 2), r(3, 2)]],
  ['l1Loss', (a, b) => F.l1Loss(a, b, 'none'), () => [r(5), r(5).add(3)]],
  [
    'bce',
    (p, t) => F.bce(p, t),
    () => [rand([6], { dtype: 'float64' }).mul(0.8).add(0.1), rand([6], { dtype: 'float64' })],
  ],
  [
    'bceWithLogits',
    (z, t) => F.bceWithLogits(z, t, 'sum'),
    () => [r(6), rand([6], { dtype: 'float64' })],
  ],
  [
    'crossEntropy',
    (z) => F.crossEntropy(z, tensor([0, 2, 1], { dtype: 'int64' })),
    () => [r(3, 4)],
  ],
  ['gaussianKl', (mu, logVar) => F.gaussianKl(mu, logVar), () => [r(3, 4), r(3, 4)]],
];

for (const [name, f, make, options] of cases) {
  test(`gradient of ${name} matches finite differences`, () => {
    const inputs = make();
    const worst = gradcheck(name, f, inputs, options);
    assert.ok(worst < 1e-4, `${name}: worst error ${worst}`);
  });
}

test('gradcheck itself catches a wrong gradient', () => {
  // x.detach() * x has true gradient x, but autograd sees only one factor.
  assert.throws(
    () => gradcheck('wrong', (a) => a.detach().mul(a).add(a.square()), [r(3)]),
    /finite difference/,
  );
});
