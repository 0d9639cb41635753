import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { encodeNpy, loadNpy, parseNpy, saveNpy } from '../../src/data/index.js';
import { PYTHON } from '../helpers/pytorch.js';
import { temporaryFolder } from './helpers.js';

let dir = '';
let remove = async () => {};
before(async () => ({ dir, remove } = await temporaryFolder()));
after(() => remove());

test('encodeNpy round-trips each dtype through parseNpy', () => {
  const cases = [
    { values: new Float32Array([1.5, -2, 3.25, 0, 4, -0.5]), shape: [2, 3], dtype: 'float32' },
    { values: new Float64Array([0.1, -1e300]), shape: [2], dtype: 'float64' },
    { values: new Int32Array([-7, 0, 2147483647, 5]), shape: [2, 1, 2], dtype: 'int32' },
    { values: new Uint8Array([0, 255, 128]), shape: [3, 1], dtype: 'uint8' },
  ] as const;
  for (const { values, shape, dtype } of cases) {
    const bytes = encodeNpy(values, shape);
    const read = parseNpy(bytes, 'x.npy');
    assert.equal(read.dtype, dtype);
    assert.deepEqual(read.shape, shape);
    assert.deepEqual([...read.values], [...values]);
  }
});

test('the header is padded so the data starts at a multiple of 64 bytes', () => {
  for (const shape of [[5], [2, 3], [1, 1, 28, 28]]) {
    const n = shape.reduce((a, b) => a * b, 1);
    const bytes = encodeNpy(new Float32Array(n), shape);
    const headerLength = bytes.readUInt16LE(8);
    assert.equal((10 + headerLength) % 64, 0);
    assert.equal(bytes[10 + headerLength - 1], 0x0a, 'header ends with a newline');
    assert.equal(bytes.length, 10 + headerLength + 4 * n);
  }
  // A 1-D shape is written as a tuple with its trailing comma.
  assert.match(encodeNpy(new Float32Array(3), [3]).toString('latin1'), /'shape': \(3,\)/);
});

test('encodeNpy refuses a shape that does not match the values', () => {
  assert.throws(
    () => encodeNpy(new Float32Array(5), [2, 3]),
    /encodeNpy: values: expected 6 values for shape \[2, 3\], got 5/,
  );
  assert.throws(() => encodeNpy(new Float32Array(2), [2, -1]), RangeError);
  assert.throws(() => encodeNpy([1, 2] as unknown as Float32Array, [2]), TypeError);
});

test('saveNpy writes a file that loadNpy and NumPy read back', async () => {
  const file = path.join(dir, 'codes.npy');
  const values = Float32Array.from({ length: 12 }, (_, i) => i / 4 - 1);
  saveNpy(file, values, [4, 3]);
  const { dataset } = await loadNpy(file);
  assert.deepEqual(dataset.shape, [4, 3]);
  assert.deepEqual([...dataset.data], [...values]);

  const script = [
    'import numpy, sys',
    'a = numpy.load(sys.argv[1])',
    'print(a.dtype, a.shape, float(a.sum()), a.flags["C_CONTIGUOUS"])',
  ].join('\n');
  const out = execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' }).trim();
  assert.equal(out, 'float32 (4, 3) 4.5 True');
});

test('saveNpy leaves an existing file alone when the write fails', async () => {
  const file = path.join(dir, 'keep.npy');
  await writeFile(file, 'old');
  assert.throws(() => saveNpy(file, new Float32Array(3), [4]), RangeError);
  assert.equal(await readFile(file, 'utf8'), 'old');
  assert.throws(
    () => saveNpy(path.join(dir, 'missing', 'x.npy'), new Float32Array(1), [1]),
    /missing\/x\.npy: cannot write the file/,
  );
});
