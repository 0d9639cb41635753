// The default fit of `generate --like/--class`: a mixture from 500 examples on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIXTURE_DEFAULT, mixtureComponentsFor } from '../../src/tasks/index.js';

test('a mixture of 5 from 500 examples on, one Gaussian below', () => {
  assert.deepEqual(MIXTURE_DEFAULT, { components: 5, minExamples: 500 });
  assert.equal(mixtureComponentsFor(2), 1);
  assert.equal(mixtureComponentsFor(499), 1);
  assert.equal(mixtureComponentsFor(500), 5);
  assert.equal(mixtureComponentsFor(6000), 5);
});
