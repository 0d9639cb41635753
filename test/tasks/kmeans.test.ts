// k-means: finds well-separated clusters, repeats by seed, and refuses bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Xoshiro128 } from '../../src/data/index.js';
import { kMeans } from '../../src/tasks/kmeans.js';

/** `perCluster` 2-D points around each of the given centres, uniform within 0.5. */
function blobs(centres: number[][], perCluster: number, seed: number): Float32Array {
  const random = new Xoshiro128(seed);
  const points = new Float32Array(centres.length * perCluster * 2);
  centres.forEach(([x, y], c) => {
    for (let i = 0; i < perCluster; i++) {
      const at = (c * perCluster + i) * 2;
      points[at] = x + random.next() - 0.5;
      points[at + 1] = y + random.next() - 0.5;
    }
  });
  return points;
}

test('k-means finds separated clusters, their means, and repeats by seed', () => {
  const centres = [
    [0, 0],
    [10, 0],
    [0, 10],
    [10, 10],
  ];
  const points = blobs(centres, 50, 1);
  const result = kMeans(points, 2, 4, { seed: 3 });
  // Each blob is one cluster, and the cluster's centre is the blob's mean.
  for (let c = 0; c < 4; c++) {
    const members = result.assignment.subarray(c * 50, (c + 1) * 50);
    assert.ok(
      members.every((a) => a === members[0]),
      `blob ${c} split`,
    );
    let [sx, sy] = [0, 0];
    for (let i = c * 50; i < (c + 1) * 50; i++)
      [sx, sy] = [sx + points[2 * i], sy + points[2 * i + 1]];
    assert.ok(Math.abs(result.centres[2 * members[0]] - sx / 50) < 1e-4);
    assert.ok(Math.abs(result.centres[2 * members[0] + 1] - sy / 50) < 1e-4);
  }
  assert.equal(new Set(result.assignment).size, 4);
  assert.deepEqual(kMeans(points, 2, 4, { seed: 3 }), result, 'one seed, one answer');

  // As many clusters as points: each point its own centre.
  const few = blobs([[0, 0]], 5, 2);
  const each = kMeans(few, 2, 5);
  assert.equal(new Set(each.assignment).size, 5);
});

test('k-means refuses bad input with one line naming the field', () => {
  const points = blobs([[0, 0]], 10, 4);
  assert.throws(
    () => kMeans(points.subarray(0, 5), 2, 2),
    /kMeans: points: expected a multiple of dim 2 values, got 5/,
  );
  assert.throws(() => kMeans(points, 2, 11), /kMeans: clusters/);
  assert.throws(() => kMeans(points, 2, 0), /kMeans: clusters/);
  const bad = points.slice();
  bad[7] = NaN;
  assert.throws(() => kMeans(bad, 2, 2), /kMeans: points: value 7 \(point 3\) is not finite/);
});
