/**
 * clipGradNorm and clipGradValue against PyTorch 1.13's clip_grad_norm_ / clip_grad_value_
 * (2-, 1-, 3- and infinity-norms, clipping and not, one parameter without a gradient),
 * within RTOL, leaving no tensor behind.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Tensor, liveTensors } from '../../src/engine/index.js';
import { clipGradNorm, clipGradValue } from '../../src/optim/index.js';
import { EncodedTensor, RTOL, assertTensorClose, decode, golden } from './golden.js';

interface ClipCase {
  kind: 'norm' | 'value';
  kwargs: { max_norm?: number; norm_type?: number; clip_value?: number };
  total: number | null;
  grads: (EncodedTensor | null)[];
}

interface ClipGolden {
  initial: EncodedTensor[];
  grads: EncodedTensor[][];
  cases: ClipCase[];
}

/** The script's setup: gradients are 3 x the first step's, and parameter 1 has none. */
function setup(data: ClipGolden): Tensor[] {
  return data.initial.map((encoded, i) => {
    const param = decode(encoded, { requiresGrad: true });
    if (i !== 1) {
      const base = decode(data.grads[0][i]);
      const grad = base.mul(3);
      param.grad = grad;
      base.dispose();
      grad.dispose();
    }
    return param;
  });
}

/** Registers the clipping golden tests. */
export function clipGoldenTests(): void {
  describe('gradient clipping matches PyTorch 1.13', () => {
    const data = golden<ClipGolden>('clip.json');

    for (const c of data.cases) {
      const label = `${c.kind} ${JSON.stringify(c.kwargs)}`;
      it(label, () => {
        const params = setup(data);
        const before = liveTensors();
        if (c.kind === 'norm') {
          const total = clipGradNorm(params, c.kwargs.max_norm as number, c.kwargs.norm_type);
          const expected = c.total as number;
          assert.ok(
            Math.abs(total - expected) <= RTOL * expected,
            `total norm: expected ${expected}, got ${total}`,
          );
        } else {
          clipGradValue(params, c.kwargs.clip_value as number);
        }
        assert.equal(liveTensors(), before, 'no tensor left behind');
        params.forEach((param, i) => {
          const grad = param.grad;
          const expected = c.grads[i];
          if (expected === null) {
            assert.equal(grad, null);
          } else {
            assert.ok(grad !== null);
            assertTensorClose(grad, expected, `${label} grad ${i}`);
            grad.dispose();
          }
          param.dispose();
        });
      });
    }
  });
}
