// AUROC, average precision and thresholds by hand and against scikit-learn, SciPy, NumPy
// and scikit-image (test/fixtures/anomaly_reference.py).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  autoThreshold,
  contaminationThreshold,
  percentileThreshold,
  prAuc,
  rocAuc,
} from '../../src/metrics/index.js';
import { assertNear, normal, reference, uniform } from './helpers.js';

test('rocAuc and prAuc: hand-computed cases, with and without ties', () => {
  // Anomalies 0.35 and 0.8 against normals 0.1 and 0.4: three of four pairs ordered.
  const scores = new Float64Array([0.1, 0.4, 0.35, 0.8]);
  assert.equal(rocAuc(scores, [0, 0, 1, 1]), 0.75);
  // From the top: 0.8 (P 1, R 1/2), 0.4 (P 1/2, R 1/2), 0.35 (P 2/3, R 1).
  assertNear(prAuc(scores, [0, 0, 1, 1]), 0.5 * 1 + 0.5 * (2 / 3), 1e-15);

  // Ties count one half in AUROC and form one threshold in AP.
  const tied = new Float64Array([1, 1, 2, 2]);
  assert.equal(rocAuc(tied, [0, 1, 0, 1]), 0.5);
  // Threshold 3: P 1/2, R 1/2; threshold 2: P 2/3, R 1.
  assertNear(prAuc(new Float64Array([3, 3, 2, 1]), [1, 0, 1, 0]), 0.25 + 0.5 * (2 / 3), 1e-15);

  // Perfect and reversed rankings; boolean labels.
  const ranked = new Float32Array([0.1, 0.2, 0.3, 0.9, 0.95]);
  const labels = [false, false, false, true, true];
  assert.equal(rocAuc(ranked, labels), 1);
  assert.equal(prAuc(ranked, labels), 1);
  assert.equal(
    rocAuc(
      ranked.map((s) => -s),
      labels,
    ),
    0,
  );
});

interface Expected {
  rocAuc: number;
  mannWhitneyU: number;
  averagePrecision: number;
  percentiles: number[];
  contamination: number[];
  median: number;
  scaledMad: number;
  otsuCentre: number;
  otsuBinWidth: number;
}

const PERCENTILES = [0, 1, 33.3, 50, 90, 99, 100];
const FRACTIONS = [0.01, 0.05, 0.1, 0.25];

/** Scores of normal points ~ N(0, 1), anomalies ~ N(shift, 1); `round` makes ties. */
function scoredCase(count: number, anomalies: number, shift: number, seed: number, round = 0) {
  const scores = normal(count, seed);
  const labels = new Int32Array(count);
  for (let i = 0; i < anomalies; i++) {
    labels[i * Math.floor(count / anomalies)] = 1;
  }
  for (let i = 0; i < count; i++) {
    if (labels[i]) scores[i] += shift;
    if (round) scores[i] = Math.round(scores[i] * round) / round;
  }
  return { scores, labels };
}

const cases = [
  { ...scoredCase(1000, 50, 2, 1), bins: 256 },
  { ...scoredCase(500, 100, 1, 2, 4), bins: 64 }, // scores on a grid of 0.25: many ties
  { ...scoredCase(301, 3, 0.5, 3), bins: 256 }, // few anomalies, weak separation
  { ...scoredCase(2000, 400, 6, 4), bins: 256 }, // two clear modes
].map((c) => ({ ...c, percentiles: PERCENTILES, fractions: FRACTIONS }));
const expected = reference<Expected[]>('anomaly_reference.py', 'anomaly', cases);

test('rocAuc and prAuc equal scikit-learn; AUROC x anomalies x normals is Mann-Whitney U', () => {
  for (const [c, { scores, labels }] of cases.entries()) {
    const auc = rocAuc(scores, labels);
    assertNear(auc, expected[c].rocAuc, 1e-12, `case ${c} AUROC`);
    const anomalies = labels.reduce((sum, l) => sum + l, 0);
    const u = auc * anomalies * (labels.length - anomalies);
    assertNear(u, expected[c].mannWhitneyU, 1e-6, `case ${c} U`);
    assertNear(prAuc(scores, labels), expected[c].averagePrecision, 1e-12, `case ${c} AP`);
    // Float32 scores rank the same way here.
    assertNear(rocAuc(new Float32Array(scores), labels), auc, 1e-12, `case ${c} float32`);
  }
  assert.ok(expected[2].rocAuc < 0.9 && expected[3].rocAuc > 0.99, 'cases span weak to strong');
});

test('percentile and contamination thresholds equal NumPy percentile', () => {
  for (const [c, { scores }] of cases.entries()) {
    PERCENTILES.forEach((p, i) => {
      const choice = percentileThreshold(scores, p);
      assertNear(choice.threshold, expected[c].percentiles[i], 1e-12, `case ${c} p ${p}`);
      assert.equal(choice.method, 'percentile');
      assert.deepEqual(choice.parameters, { p });
    });
    FRACTIONS.forEach((fraction, i) => {
      const choice = contaminationThreshold(scores, fraction);
      assertNear(choice.threshold, expected[c].contamination[i], 1e-12, `case ${c} ${fraction}`);
      assert.equal(choice.method, 'contamination');
    });
  }
  // With distinct scores, the top `fraction` is flagged exactly.
  const distinct = uniform(1000, 5);
  const { threshold } = contaminationThreshold(distinct, 0.1);
  assert.equal(distinct.filter((s) => s > threshold).length, 100);
  assert.match(
    contaminationThreshold(distinct, 0.1).description,
    /^top 10% of 1000 scores: percentile 90 = 0\.\d+$/,
  );
});

test('autoThreshold: median + 3 scaled MADs (SciPy) and Otsu (scikit-image)', () => {
  for (const [c, { scores, bins }] of cases.entries()) {
    const mad = autoThreshold(scores);
    assert.equal(mad.method, 'mad');
    assertNear(mad.parameters.median, expected[c].median, 1e-12, `case ${c} median`);
    assertNear(
      mad.threshold,
      expected[c].median + 3 * expected[c].scaledMad,
      1e-9,
      `case ${c} MAD threshold`,
    );
    assertNear(
      autoThreshold(scores, { k: 2.5 }).threshold,
      expected[c].median + 2.5 * expected[c].scaledMad,
      1e-9,
    );

    // scikit-image reports the centre of the split bin; aekit its upper edge.
    const otsu = autoThreshold(scores, { method: 'otsu', bins });
    assert.equal(otsu.method, 'otsu');
    assertNear(
      otsu.threshold,
      expected[c].otsuCentre + expected[c].otsuBinWidth / 2,
      1e-9,
      `case ${c} Otsu`,
    );
  }

  // Two clear modes (normal ~ N(0, 1), anomalies ~ N(6, 1)): Otsu lands between them and
  // flags nearly exactly the anomalies.
  const { scores, labels } = cases[3];
  const { threshold } = autoThreshold(scores, { method: 'otsu' });
  let wrong = 0;
  scores.forEach((s, i) => {
    if ((s > threshold ? 1 : 0) !== labels[i]) wrong++;
  });
  assert.ok(
    threshold > 2 && threshold < 4 && wrong <= 10,
    `threshold ${threshold}, ${wrong} wrong`,
  );
  assert.match(
    autoThreshold(new Float64Array([1, 2, 3, 4, 100])).description,
    /^median 3 \+ 3 x 1\.4826 x MAD 1 = 7\.4478\d+$/,
  );
});

test('bad scores, labels and thresholds are refused', () => {
  const scores = new Float64Array([0.1, 0.5, 0.3, 0.9]);
  assert.throws(() => rocAuc(scores, [0, 0, 0, 0]), {
    name: 'AekitError',
    message:
      'rocAuc: labels: expected both 0 (normal) and 1 (anomaly), got only 0 (normal) in 4 labels',
  });
  assert.throws(() => prAuc(scores, [1, 1, 1, 1]), {
    message:
      'prAuc: labels: expected both 0 (normal) and 1 (anomaly), got only 1 (anomaly) in 4 labels',
  });
  assert.throws(() => rocAuc(scores, [0, 1, 2, 0]), {
    name: 'RangeError',
    message: 'rocAuc: labels[2]: expected 0 (normal) or 1 (anomaly), got number 2',
  });
  assert.throws(() => rocAuc(scores, [0, 1, 1]), {
    name: 'AekitError',
    message: 'rocAuc: labels: expected 4 values (one label per score), got 3',
  });
  assert.throws(() => rocAuc(new Float64Array([0.5, 0.5, 0.5]), [0, 1, 0]), {
    name: 'AekitError',
    message: 'rocAuc: scores: expected at least two distinct values, got all 3 equal to 0.5',
  });
  assert.throws(() => prAuc(new Float64Array([0.1, NaN]), [0, 1]), {
    name: 'AekitError',
    message: 'prAuc: scores: expected finite numbers, got NaN at index 1',
  });
  assert.throws(() => rocAuc(new Float64Array(0), []), {
    message: 'rocAuc: scores: expected at least one value, got an empty array',
  });
  assert.throws(() => percentileThreshold(scores, 101), {
    name: 'RangeError',
    message: 'percentileThreshold: p: expected a number from 0 to 100, got number 101',
  });
  assert.throws(() => contaminationThreshold(scores, 0), {
    name: 'RangeError',
    message:
      'contaminationThreshold: fraction: expected a number between 0 and 1 (exclusive), got ' +
      'number 0',
  });
  assert.throws(() => contaminationThreshold(new Float64Array([2, 2]), 0.1), {
    message:
      'contaminationThreshold: scores: expected at least two distinct values, got all 2 equal to 2',
  });
  assert.throws(() => autoThreshold(new Float64Array([7, 7, 7])), {
    name: 'AekitError',
    message: 'autoThreshold: scores: expected at least two distinct values, got all 3 equal to 7',
  });
  assert.throws(() => autoThreshold(new Float64Array([1, 1, 1, 2, 5])), {
    name: 'AekitError',
    message:
      'autoThreshold: scores: expected spread around the median (MAD > 0), got MAD 0: at least ' +
      "half of the 5 scores equal the median 1; use method 'otsu' or a percentile",
  });
  assert.throws(() => autoThreshold(scores, { method: 'mean' as 'mad' }), {
    name: 'TypeError',
    message: `autoThreshold: options.method: expected 'mad' or 'otsu', got string "mean"`,
  });
  assert.throws(() => autoThreshold(scores, { method: 'otsu', bins: 1 }), {
    name: 'RangeError',
    message: 'autoThreshold: options.bins: expected an integer >= 2, got number 1',
  });
});
