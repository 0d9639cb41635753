import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { loadTimeSeriesCsv, slidingWindows } from '../../src/data/index.js';
import { temporaryFolder } from './helpers.js';

let dir = '';
let remove = async () => {};
before(async () => ({ dir, remove } = await temporaryFolder()));
after(() => remove());

test('slidingWindows cuts [channels, window] samples from [length, channels]', () => {
  // Two channels over 5 steps: channel 0 is t, channel 1 is 10 t.
  const series = Float32Array.from([0, 0, 1, 10, 2, 20, 3, 30, 4, 40]);
  const windows = slidingWindows(series, 2, { window: 3, stride: 1 });
  assert.equal(windows.count, 3);
  assert.equal(windows.uncovered, 0);
  assert.deepEqual(
    [...windows.data],
    [0, 1, 2, 0, 10, 20, 1, 2, 3, 10, 20, 30, 2, 3, 4, 20, 30, 40],
  );

  const strided = slidingWindows(series, 2, { window: 2, stride: 2 });
  assert.equal(strided.count, 2);
  assert.equal(strided.uncovered, 1);
  assert.deepEqual([...strided.data], [0, 1, 0, 10, 2, 3, 20, 30]);

  const whole = slidingWindows(series, 2, { window: 5 });
  assert.equal(whole.count, 1);
});

test('a series shorter than the window is an error naming both lengths', () => {
  assert.throws(() => slidingWindows(new Float32Array(4), 1, { window: 5 }, 'ecg.csv'), {
    code: 'BAD_INPUT',
    message: 'ecg.csv: series length: expected at least the window length 5, got 4',
  });
  assert.throws(() => slidingWindows(new Float32Array(4), 1, { window: 2, stride: 0 }, 's'), {
    name: 'RangeError',
    message: 's: stride: expected an integer >= 1, got number 0',
  });
});

test('loadTimeSeriesCsv windows chosen columns, standardised per column', async () => {
  const file = path.join(dir, 'sensor.csv');
  const rows = ['time,temp,noise,load'];
  for (let t = 0; t < 10; t++) rows.push(`${t},${t * 2},${t % 2},${100 - t}`);
  await writeFile(file, rows.join('\n') + '\n');

  const { dataset, report } = await loadTimeSeriesCsv(file, {
    columns: ['temp', 'load'],
    window: 4,
    stride: 3,
  });
  assert.deepEqual(dataset.shape, [3, 2, 4]);
  assert.deepEqual([...dataset.data.subarray(0, 8)], [0, 2, 4, 6, 100, 99, 98, 97]);
  assert.deepEqual([...dataset.data.subarray(16, 24)], [12, 14, 16, 18, 94, 93, 92, 91]);
  assert.deepEqual(dataset.preprocessing.at(-1), { kind: 'window', window: 4, stride: 3 });
  assert.deepEqual(report.notices, []);

  const scaled = await loadTimeSeriesCsv(file, {
    columns: ['temp'],
    window: 10,
    standardize: true,
  });
  assert.deepEqual(scaled.dataset.shape, [1, 1, 10]);
  const values = [...scaled.dataset.data];
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  assert.ok(Math.abs(mean) < 1e-6);
  assert.ok(Math.abs(variance - 1) < 1e-5);

  await assert.rejects(loadTimeSeriesCsv(file, { columns: ['temp'], window: 11 }), {
    message: `${file}: series length: expected at least the window length 11, got 10`,
  });
  await assert.rejects(loadTimeSeriesCsv(file, { columns: ['temp'] }), {
    name: 'TypeError',
    message: `${file}: window: expected an integer, got undefined`,
  });

  // The recorded steps (columns, statistics, window) re-apply to a new series.
  const reused = await loadTimeSeriesCsv(file, { reuse: scaled.dataset.preprocessing });
  assert.deepEqual(reused.dataset.data, scaled.dataset.data);
  assert.deepEqual(reused.dataset.preprocessing, scaled.dataset.preprocessing);

  const stride = await loadTimeSeriesCsv(file, { columns: ['temp'], window: 4, stride: 4 });
  assert.deepEqual(stride.report.notices, [`${file}: the last 2 rows are in no window (stride 4)`]);
});
