import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Xoshiro128, permutation } from '../../src/data/index.js';

test('xoshiro128** matches the reference sequence from state [1, 2, 3, 4]', () => {
  // First outputs of the reference C implementation for s = {1, 2, 3, 4}; the first three
  // follow by hand from the update rule, the fourth is the published value.
  const random = Xoshiro128.fromState([1, 2, 3, 4]);
  const outputs = [random.nextUint32(), random.nextUint32(), random.nextUint32()];
  assert.deepEqual(outputs, [11520, 0, 5927040]);
  assert.equal(random.nextUint32(), 70819200);
});

test('the same seed gives the same stream; another seed or stream differs', () => {
  const a = new Xoshiro128(42);
  const b = new Xoshiro128(42);
  const first = Array.from({ length: 8 }, () => a.nextUint32());
  assert.deepEqual(
    Array.from({ length: 8 }, () => b.nextUint32()),
    first,
  );
  const other = new Xoshiro128(43);
  assert.notDeepEqual(
    Array.from({ length: 8 }, () => other.nextUint32()),
    first,
  );
  const stream = new Xoshiro128(42, 1);
  assert.notDeepEqual(
    Array.from({ length: 8 }, () => stream.nextUint32()),
    first,
  );
  // Seeds above 2^32 are used whole, not truncated.
  assert.notEqual(new Xoshiro128(2 ** 32 + 42).nextUint32(), new Xoshiro128(42).nextUint32());
});

test('next() is in [0, 1) and int(n) in [0, n) with roughly equal counts', () => {
  const random = new Xoshiro128(7);
  const counts = new Array<number>(5).fill(0);
  let sum = 0;
  for (let i = 0; i < 20000; i++) {
    const x = random.next();
    assert.ok(x >= 0 && x < 1);
    sum += x;
    counts[random.int(5)]++;
  }
  assert.ok(Math.abs(sum / 20000 - 0.5) < 0.01, `mean ${sum / 20000}`);
  for (const c of counts) assert.ok(Math.abs(c - 4000) < 250, `counts ${counts.join(',')}`);
  assert.equal(random.int(1), 0);
});

test('permutation holds every index once and is repeatable', () => {
  const p = permutation(100, 3);
  assert.deepEqual(
    [...p].sort((a, b) => a - b),
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert.deepEqual(permutation(100, 3), p);
  assert.notDeepEqual(permutation(100, 4), p);
  assert.deepEqual([...permutation(0, 1)], []);
});

test('bad seeds and states are refused', () => {
  assert.throws(() => new Xoshiro128(-1), {
    name: 'RangeError',
    message: 'Xoshiro128: seed: expected an integer >= 0, got number -1',
  });
  assert.throws(() => new Xoshiro128(1.5), { name: 'TypeError' });
  assert.throws(() => Xoshiro128.fromState([0, 0, 0, 0]), /not all zero/);
  assert.throws(() => new Xoshiro128(1).int(0), /Xoshiro128.int: n/);
});
