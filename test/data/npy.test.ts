import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { loadNpy, parseNpy } from '../../src/data/index.js';
import { float32Bytes, npyBytes, temporaryFolder } from './helpers.js';

let dir = '';
let remove = async () => {};
before(async () => ({ dir, remove } = await temporaryFolder()));
after(() => remove());

// Written by NumPy 2.4.6 with np.save, base64-encoded:
// np.array([[1.5, -2.0, 3.25], [0.0, 4.0, -0.5]], dtype='<f4')
const NUMPY_FLOAT32 =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMp' +
  'LCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/' +
  'AAAAwAAAUEAAAAAAAACAQAAAAL8=';
// np.arange(6, dtype='<i8').reshape(3, 2)
const NUMPY_INT64 =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsIDIp' +
  'LCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAA' +
  'AAAAAAEAAAAAAAAAAgAAAAAAAAADAAAAAAAAAAQAAAAAAAAABQAAAAAAAAA=';
// np.array([[0, 255], [128, 64]], dtype='u1')
const NUMPY_UINT8 =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIp' +
  'LCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoA/4BA';
// np.asfortranarray(np.arange(6, dtype='<f8').reshape(2, 3))
const NUMPY_FORTRAN =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyks' +
  'IH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAA' +
  'AAAAAAAAAAAAAAhAAAAAAAAA8D8AAAAAAAAQQAAAAAAAAABAAAAAAAAAFEA=';
// np.arange(3, dtype='>f4')
const NUMPY_BIG_ENDIAN =
  'k05VTVBZAQB2AHsnZGVzY3InOiAnPmY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwg' +
  'fSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAA' +
  'P4AAAEAAAAA=';

const decode = (text: string) => Buffer.from(text, 'base64');

test('parseNpy reads files written by NumPy', () => {
  const floats = parseNpy(decode(NUMPY_FLOAT32), 'f.npy');
  assert.equal(floats.dtype, 'float32');
  assert.deepEqual(floats.shape, [2, 3]);
  assert.deepEqual([...floats.values], [1.5, -2, 3.25, 0, 4, -0.5]);

  const ints = parseNpy(decode(NUMPY_INT64), 'i.npy');
  assert.equal(ints.dtype, 'int64');
  assert.deepEqual([...ints.values], [0, 1, 2, 3, 4, 5]);

  const bytes = parseNpy(decode(NUMPY_UINT8), 'u.npy');
  assert.equal(bytes.dtype, 'uint8');
  assert.deepEqual([...bytes.values], [0, 255, 128, 64]);
});

test('parseNpy reads float64 and int32, format versions 2 and 3', () => {
  const f64 = Buffer.from(new Float64Array([0.1, -1e300]).buffer);
  assert.deepEqual(
    [...parseNpy(npyBytes('<f8', [2, 1], f64, { version: 2 }), 'a').values],
    [0.1, -1e300],
  );
  const i32 = Buffer.from(new Int32Array([-5, 7]).buffer);
  const read = parseNpy(npyBytes('<i4', [1, 2], i32, { version: 3 }), 'b');
  assert.equal(read.dtype, 'int32');
  assert.deepEqual([...read.values], [-5, 7]);
});

test('parseNpy refuses fortran_order, other dtypes and big-endian, by name', () => {
  assert.throws(() => parseNpy(decode(NUMPY_FORTRAN), 'fortran.npy'), {
    code: 'BAD_FILE',
    message:
      'fortran.npy: fortran_order: expected False (C order; save with np.ascontiguousarray), ' +
      'got True',
  });
  assert.throws(() => parseNpy(decode(NUMPY_BIG_ENDIAN), 'big.npy'), {
    message:
      'big.npy: dtype: expected one of <f4 (float32), <f8 (float64), |u1 (uint8), <i4 (int32), ' +
      `<i8 (int64), got '>f4' (big-endian; convert with .astype("<f4"))`,
  });
  const half = npyBytes('<f2', [2], Buffer.alloc(4));
  assert.throws(() => parseNpy(half, 'half.npy'), /half\.npy: dtype: expected .*got '<f2'$/);
});

test('parseNpy refuses bad magic, truncated and overlong files', () => {
  const good = npyBytes('<f4', [2, 2], float32Bytes([1, 2, 3, 4]));
  assert.throws(() => parseNpy(Buffer.from('PK\x03\x04 not numpy'), 'z.npy'), {
    message: 'z.npy: magic string: expected \\x93NUMPY (a .npy file), got bytes 50 4b 03 04 20 6e',
  });
  assert.throws(() => parseNpy(good.subarray(0, 5), 's.npy'), {
    message: 's.npy: magic string: expected \\x93NUMPY (a .npy file), got 5 bytes (truncated)',
  });
  assert.throws(() => parseNpy(good.subarray(0, 40), 'h.npy'), {
    message: 'h.npy: header: expected 118 header bytes, got 30 (truncated)',
  });
  assert.throws(() => parseNpy(good.subarray(0, good.length - 2), 't.npy'), {
    code: 'BAD_FILE',
    message: 't.npy: data: expected 16 bytes for shape (2, 2) of float32, got 14 bytes (truncated)',
  });
  assert.throws(() => parseNpy(Buffer.concat([good, Buffer.alloc(4)]), 'x.npy'), {
    message: /x\.npy: data: expected 16 bytes .*got 20 bytes \(extra bytes at end\)/,
  });
  const version = Buffer.from(good);
  version[6] = 9;
  assert.throws(() => parseNpy(version, 'v.npy'), {
    message: 'v.npy: format version: expected 1, 2 or 3, got 9',
  });
  const noShape = Buffer.from(good.toString('latin1').replace("'shape'", "'shapf'"), 'latin1');
  assert.throws(() => parseNpy(noShape, 'n.npy'), {
    message: 'n.npy: header shape: expected a value, got none',
  });
});

test('loadNpy builds a dataset with labels; uint8 is scaled with a notice', async () => {
  const data = path.join(dir, 'pixels.npy');
  const labels = path.join(dir, 'labels.npy');
  await writeFile(data, decode(NUMPY_UINT8));
  await writeFile(labels, npyBytes('<i8', [2], Buffer.from(new BigInt64Array([1n, 0n]).buffer)));
  const { dataset, report } = await loadNpy(data, { labels });
  assert.deepEqual(dataset.shape, [2, 2]);
  assert.deepEqual([...dataset.data], [0, 1, 128 / 255, 64 / 255].map(Math.fround));
  assert.deepEqual(dataset.valueRange, [0, 1]);
  assert.deepEqual([...(dataset.labels ?? [])], [1, 0]);
  assert.deepEqual(dataset.labelNames, ['0', '1']);
  assert.deepEqual(dataset.preprocessing, [{ kind: 'scale', from: [0, 255], to: [0, 1] }]);
  assert.deepEqual(report.notices, [`${data}: uint8 values scaled from [0, 255] to [0, 1]`]);

  const raw = await loadNpy(data, { scaleUint8: false });
  assert.deepEqual([...raw.dataset.data], [0, 255, 128, 64]);
  assert.deepEqual(raw.dataset.valueRange, [0, 255]);
});

test('loadNpy reads a 1-D array as samples of one value, with a notice', async () => {
  const file = path.join(dir, 'vector.npy');
  await writeFile(file, npyBytes('<f4', [3], float32Bytes([3, -1, 2])));
  const { dataset, report } = await loadNpy(file);
  assert.deepEqual(dataset.shape, [3, 1]);
  assert.deepEqual(dataset.valueRange, [-1, 3]);
  assert.match(report.notices[0], /1-D array of 3 values read as 3 samples of 1 value/);
});

test('loadNpy refuses NaN, empty sets, scalars and bad labels, naming the file', async () => {
  const nan = path.join(dir, 'nan.npy');
  await writeFile(nan, npyBytes('<f4', [2, 2], float32Bytes([0, 1, 2, NaN])));
  await assert.rejects(loadNpy(nan), {
    code: 'NOT_FINITE',
    message: `${nan}: data: expected finite numbers, got NaN at sample 1, element 1`,
  });

  const huge = path.join(dir, 'huge.npy');
  await writeFile(huge, npyBytes('<f8', [1, 1], Buffer.from(new Float64Array([1e300]).buffer)));
  await assert.rejects(loadNpy(huge), {
    message:
      `${huge}: data (as float32): expected finite numbers, ` +
      'got Infinity at sample 0, element 0',
  });

  const empty = path.join(dir, 'empty.npy');
  await writeFile(empty, npyBytes('<f4', [0, 3], Buffer.alloc(0)));
  await assert.rejects(loadNpy(empty), {
    code: 'BAD_INPUT',
    message: `${empty}: samples: expected at least 1, got 0 (empty set)`,
  });

  const scalar = path.join(dir, 'scalar.npy');
  await writeFile(scalar, npyBytes('<f4', [], float32Bytes([1])));
  await assert.rejects(loadNpy(scalar), {
    code: 'SHAPE',
    message: `${scalar}: shape: expected [count, ...sampleShape], got () (a single scalar)`,
  });

  const data = path.join(dir, 'three.npy');
  await writeFile(data, npyBytes('<f4', [3, 1], float32Bytes([1, 2, 3])));
  const short = path.join(dir, 'short-labels.npy');
  await writeFile(short, npyBytes('<i4', [2], Buffer.from(new Int32Array([0, 1]).buffer)));
  await assert.rejects(loadNpy(data, { labels: short }), {
    message: `${short}: label count: expected 3 (the sample count of ${data}), got 2`,
  });
  const negative = path.join(dir, 'negative-labels.npy');
  await writeFile(negative, npyBytes('<i4', [3], Buffer.from(new Int32Array([0, -1, 1]).buffer)));
  await assert.rejects(loadNpy(data, { labels: negative }), {
    message: `${negative}: labels[1]: expected a class index >= 0, got -1`,
  });
  const floatLabels = path.join(dir, 'float-labels.npy');
  await writeFile(floatLabels, npyBytes('<f4', [3], float32Bytes([0, 1, 2])));
  await assert.rejects(loadNpy(data, { labels: floatLabels }), {
    message: `${floatLabels}: dtype: expected integer labels (uint8, int32, int64), got float32`,
  });
});
