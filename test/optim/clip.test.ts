/** Gradient clipping: arguments, no gradients, non-finite norms. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AekitError, tensor } from '../../src/engine/index.js';
import { clipGradNorm, clipGradValue } from '../../src/optim/index.js';

describe('gradient clipping arguments', () => {
  it('returns 0 when no parameter has a gradient', () => {
    const param = tensor([1, 2], { requiresGrad: true });
    assert.equal(clipGradNorm(param, 1), 0);
    param.dispose();
  });

  it('checks maxNorm, normType, clipValue and params', () => {
    const param = tensor([1, 2], { requiresGrad: true });
    assert.throws(() => clipGradNorm([param], -1), {
      name: 'RangeError',
      message: 'clipGradNorm: maxNorm: expected a number >= 0, got number -1',
    });
    assert.throws(() => clipGradNorm([param], 1, 0), {
      name: 'RangeError',
      message: 'clipGradNorm: normType: expected a number > 0, got number 0',
    });
    assert.throws(() => clipGradValue([param], Number.NaN), {
      name: 'TypeError',
      message: 'clipGradValue: clipValue: expected a number, got number NaN',
    });
    assert.throws(() => clipGradNorm([param, 3 as never], 1), {
      name: 'TypeError',
      message: 'clipGradNorm: params[1]: expected a live Tensor, got number 3',
    });
    param.dispose();
  });

  it('throws NOT_FINITE on a non-finite norm only when asked', () => {
    const param = tensor([1, 2], { requiresGrad: true });
    const grad = tensor([Infinity, 1]);
    param.grad = grad;
    grad.dispose();
    assert.throws(
      () => clipGradNorm([param], 1, 2, { errorIfNonfinite: true }),
      (error: Error) =>
        error instanceof AekitError &&
        error.code === 'NOT_FINITE' &&
        error.message ===
          'clipGradNorm: total gradient norm: expected a finite number, got Infinity (order 2)',
    );
    assert.equal(clipGradNorm([param], 1), Infinity);
    param.dispose();
  });
});
