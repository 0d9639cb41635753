import assert from 'node:assert/strict';
import { test } from 'node:test';

import { barChart, lineChart, scatterPlot, svgToPng } from '../../src/report/index.js';
import { countMarks, decode, markGroups, rejectsOneLine, texts } from './helpers.js';

const epochs = [1, 2, 3, 4, 5];
const losses = [
  { name: 'train', x: epochs, y: [1, 10, 100, 1000, 10000] },
  { name: 'validation', x: epochs, y: [2, 3, 4, 5, 6] },
];
const labels = { title: 'Loss per epoch', xLabel: 'epoch', yLabel: 'loss' };

/** The y coordinates of the dots of a chart's point marks, in document order. */
function dotHeights(svg: string): number[] {
  return markGroups(svg, 'symbol', 'mark').flatMap((group) =>
    [...group.matchAll(/translate\(([-\d.]+),([-\d.]+)\)/g)].map((m) => Number(m[2])),
  );
}

test('lineChart draws one line per series with axis titles, a title and a legend', async () => {
  const svg = await lineChart(losses, labels);
  assert.match(svg, /^<svg[^>]* width="\d+" height="\d+"/);
  assert.deepEqual(texts(svg, 'title-text'), ['Loss per epoch']);
  assert.deepEqual(texts(svg, 'axis-title'), ['epoch', 'loss']);
  assert.deepEqual(texts(svg, 'legend-label'), ['train', 'validation']);
  assert.equal(countMarks(svg, 'line', 'mark'), 2);
  assert.equal(countMarks(svg, 'symbol', 'mark'), 10, 'a dot per point on short curves');
  assert.doesNotMatch(svg, /https?:\/\/(?!www\.w3\.org)/, 'no external references');

  // The two lines have different colours, and the legend uses the same two.
  const strokes = [
    ...markGroups(svg, 'line', 'mark')
      .join('')
      .matchAll(/stroke="(#[0-9a-f]{6})"/g),
  ];
  const legend = markGroups(svg, 'symbol', 'legend-symbol').join('');
  assert.equal(new Set(strokes.map((m) => m[1])).size, 2);
  for (const [, colour] of strokes) assert.ok(legend.includes(colour), colour);
});

test('lineChart with logY spaces powers of ten evenly; a linear axis does not', async () => {
  const train = [losses[0]];
  const log = dotHeights(await lineChart(train, { ...labels, logY: true }));
  const steps = log.slice(1).map((y, i) => log[i] - y);
  assert.equal(steps.length, 4);
  for (const step of steps) assert.ok(Math.abs(step - steps[0]) < 0.05, `${steps}`);

  const linear = dotHeights(await lineChart(train, labels));
  assert.ok(linear[0] - linear[1] < (linear[3] - linear[4]) / 100);
});

test('lineChart leaves out the dots on long curves unless asked', async () => {
  const x = Array.from({ length: 200 }, (_, i) => i);
  const long = [{ name: 'train', x, y: x.map((i) => 1 / (i + 1)) }];
  assert.equal(countMarks(await lineChart(long, labels), 'symbol', 'mark'), 0);
  const dotted = await lineChart(long, { ...labels, points: true });
  assert.equal(countMarks(dotted, 'symbol', 'mark'), 200);
  assert.equal(countMarks(dotted, 'line', 'mark'), 1);
});

test('scatterPlot draws 10,000 points coloured by label, with a legend of names', async () => {
  const n = 10_000;
  const points = new Float32Array(2 * n);
  const classes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    classes[i] = i % 10;
    points[2 * i] = Math.cos(i) * (1 + classes[i]);
    points[2 * i + 1] = Math.sin(i) * (1 + classes[i]);
  }
  const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
  const started = performance.now();
  const svg = await scatterPlot(points, classes, {
    title: 'Codes by digit',
    labelNames: names,
    pointSize: 3,
  });
  assert.ok(performance.now() - started < 5000, 'fast enough for a report');

  assert.equal(countMarks(svg, 'symbol', 'mark'), n);
  assert.deepEqual(texts(svg, 'legend-label'), names);
  assert.deepEqual(texts(svg, 'legend-title'), ['label']);
  assert.deepEqual(texts(svg, 'axis-title'), ['dimension 1', 'dimension 2']);
  assert.deepEqual(texts(svg, 'title-text'), ['Codes by digit']);

  // Each legend colour is used by exactly its class's thousand points.
  const legendColours = [
    ...markGroups(svg, 'symbol', 'legend-symbol')
      .join('')
      .matchAll(/fill="(#[0-9a-f]{6})"/g),
  ].map((m) => m[1]);
  assert.equal(new Set(legendColours).size, 10);
  const dots = markGroups(svg, 'symbol', 'mark').join('');
  for (const colour of legendColours) {
    assert.equal(dots.split(`fill="${colour}"`).length - 1, n / 10, colour);
  }

  // Classes are interleaved in drawing order, not drawn one after another.
  const firstHundred = dots
    .split('<path')
    .slice(1, 101)
    .map((p) => /fill="(#[0-9a-f]{6})"/.exec(p)?.[1]);
  assert.ok(new Set(firstHundred).size >= 8);
});

test('scatterPlot: no labels, one colour and no legend; unnamed labels show numbers', async () => {
  const points = Float32Array.from([0, 0, 1, 1, 2, 0.5]);
  const plain = await scatterPlot(points, undefined, {
    title: 'Codes',
    xLabel: 'z1',
    yLabel: 'z2',
  });
  assert.equal(countMarks(plain, 'symbol', 'mark'), 3);
  assert.equal(markGroups(plain, 'group', 'legend').length, 0);
  assert.deepEqual(texts(plain, 'axis-title'), ['z1', 'z2']);

  const numbered = await scatterPlot(points, Int32Array.from([3, 0, 3]), { title: 'Codes' });
  assert.deepEqual(texts(numbered, 'legend-label'), ['0', '3']);
});

test('barChart draws one bar per category, in the order given', async () => {
  const bars = [
    { label: 'seven', value: 0.02 },
    { label: 'one', value: 0.01 },
    { label: 'four', value: 0.04 },
  ];
  const svg = await barChart(bars, { title: 'Error per class', xLabel: 'digit', yLabel: 'MSE' });
  assert.equal(countMarks(svg, 'rect', 'mark'), 3);
  assert.deepEqual(texts(svg, 'axis-title'), ['digit', 'MSE']);
  const axisLabels = texts(svg, 'axis-label');
  assert.deepEqual(axisLabels.slice(0, 3), ['seven', 'one', 'four']);
});

test('svgToPng rasterises at the SVG size times scale, as RGB on white', async () => {
  const svg = await lineChart(losses, labels);
  const [, width, height] = /width="(\d+)" height="(\d+)"/.exec(svg)!.map(Number);
  const one = await decode(await svgToPng(svg));
  assert.deepEqual([one.width, one.height, one.channels], [width, height, 3]);
  assert.deepEqual(
    [0, 1, 2].map((k) => one.pixel(1, 1, k)),
    [255, 255, 255],
  );
  const two = await decode(await svgToPng(svg, { scale: 2 }));
  assert.deepEqual([two.width, two.height], [2 * width, 2 * height]);

  await rejectsOneLine(() => svgToPng('<html></html>'), {
    name: 'TypeError',
    message:
      'svgToPng: svg: expected an SVG document starting with <svg, got string "<html></html>"',
  });
  await rejectsOneLine(() => svgToPng(svg, { scale: 0 }), {
    name: 'RangeError',
    message: 'svgToPng: options.scale: expected a number from 0.1 to 8, got number 0',
  });
});

test('bad chart inputs are one-line errors naming the argument', async () => {
  await rejectsOneLine(() => lineChart([], labels), {
    name: 'RangeError',
    message: 'lineChart: series: expected at least one series, got none',
  });
  await rejectsOneLine(() => lineChart([{ name: 'train', x: [1, 2], y: [0.5, NaN] }], labels), {
    code: 'NOT_FINITE',
    message: 'lineChart: series[0].y: expected finite numbers, got NaN at index 1',
  });
  await rejectsOneLine(() => lineChart([{ name: 'train', x: [1, 2], y: [0.5] }], labels), {
    code: 'SHAPE',
    message: 'lineChart: series[0]: expected x and y of the same length, got 2 and 1',
  });
  await rejectsOneLine(() => lineChart([{ name: 'train', x: [], y: [] }], labels), {
    message: 'lineChart: series[0].x: expected at least one value, got none',
  });
  await rejectsOneLine(() => lineChart([losses[1], losses[1]], labels), {
    code: 'BAD_INPUT',
    message: 'lineChart: series[1].name: expected unique names, got "validation" twice',
  });
  await rejectsOneLine(
    () => lineChart([{ name: 'train', x: [1, 2], y: [1, 0] }], { ...labels, logY: true }),
    {
      name: 'RangeError',
      message:
        'lineChart: series[0].y: expected positive values for a logarithmic axis, got 0 at index 1',
    },
  );
  await rejectsOneLine(() => lineChart(losses, { ...labels, title: '' }), {
    name: 'TypeError',
    message: 'lineChart: options.title: expected a non-empty string, got string ""',
  });

  const points = Float32Array.from([0, 0, 1, 1]);
  await rejectsOneLine(() => scatterPlot(new Float32Array(0), undefined, { title: 't' }), {
    name: 'RangeError',
    message: 'scatterPlot: points: expected at least one point, got none',
  });
  await rejectsOneLine(() => scatterPlot(Float32Array.from([0, 0, 1]), undefined, { title: 't' }), {
    code: 'SHAPE',
    message: 'scatterPlot: points: expected [n, 2] values (an even length), got length 3',
  });
  await rejectsOneLine(() => scatterPlot(Float32Array.from([0, NaN]), undefined, { title: 't' }), {
    code: 'NOT_FINITE',
    message: 'scatterPlot: points: expected finite numbers, got NaN at index 1',
  });
  await rejectsOneLine(() => scatterPlot(points, Int32Array.from([0]), { title: 't' }), {
    code: 'SHAPE',
    message: 'scatterPlot: labels: expected 2 labels, one per point, got 1',
  });
  await rejectsOneLine(
    () => scatterPlot(points, Int32Array.from([0, 2]), { title: 't', labelNames: ['a', 'b'] }),
    {
      name: 'RangeError',
      message: 'scatterPlot: labels[1]: expected an integer from 0 to 1, got number 2',
    },
  );
  await rejectsOneLine(() => scatterPlot(points, Int32Array.from([-1, 0]), { title: 't' }), {
    name: 'RangeError',
    message: 'scatterPlot: labels[0]: expected an integer >= 0, got number -1',
  });
  await rejectsOneLine(() => scatterPlot(points, [0, 1] as unknown as Int32Array, { title: 't' }), {
    name: 'TypeError',
    message: 'scatterPlot: labels: expected an Int32Array, got array of length 2',
  });
  await rejectsOneLine(() => scatterPlot(points, undefined, { title: 't', labelNames: ['a'] }), {
    code: 'BAD_INPUT',
    message: 'scatterPlot: options.labelNames: expected labels to name, got no labels',
  });

  await rejectsOneLine(() => barChart([], { title: 't', yLabel: 'y' }), {
    message: 'barChart: bars: expected at least one bar, got none',
  });
  await rejectsOneLine(
    () => barChart([{ label: 'a', value: Infinity }], { title: 't', yLabel: 'y' }),
    {
      code: 'NOT_FINITE',
      message: 'barChart: bars[0].value: expected finite numbers, got Infinity at index 0',
    },
  );
});

test('a long title wraps onto lines and leaves the canvas as wide as a short one', async () => {
  const points = Float32Array.from([0, 0, 1, 1, 2, 0.5]);
  const classes = Int32Array.from([0, 1, 1]);
  const width = (svg: string) => Number(/<svg[^>]* width="([\d.]+)"/.exec(svg)?.[1]);
  const short = await scatterPlot(points, classes, { title: 'Codes' });
  const words = 'map.aekit on fashion-mnist:test: 5-NN accuracy 0.798 (fitted on 60000 training';
  const long = `${words} points); trustworthiness 0.986 (k = 5, 10000 points)`;
  const wrapped = await scatterPlot(points, classes, { title: long });
  assert.equal(width(wrapped), width(short));
  assert.ok(width(short) > 480, short.slice(0, 200));
  const lines = [...wrapped.matchAll(/<tspan\b[^>]*>([^<]*)<\/tspan>/g)].map((m) => m[1]);
  assert.ok(lines.length >= 2, wrapped.slice(0, 2000));
  assert.equal(lines.join(' '), long);
});
