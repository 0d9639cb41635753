// The demo end to end on a few hundred digits: model files that load, and a report whose
// sections and pictures are all there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../src/models/index.js';

const bin = fileURLToPath(new URL('../../../bin/aekit.js', import.meta.url));

test('aekit demo trains, saves both models and writes the report', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'aekit-demo-')), 'demo');
  const run = spawnSync(
    process.execPath,
    [bin, 'demo', '--limit', '300', '--epochs', '1', '-o', out],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /240 training and 60 held-out MNIST digits/);
  assert.match(
    run.stderr,
    /training VAE, 16-d code [^\n]*\n[^\n]*\nepoch 1\/1 {2}loss [\d.]+ .* {2}validation [\d.]+/,
  );
  const summary = /held-out PSNR ([\d.]+) dB, SSIM ([\d.]+), 2-D map 5-NN ([\d.]+)/.exec(
    run.stdout,
  );
  assert.ok(summary, run.stdout);
  assert.ok(Number(summary[1]) > 5 && Number(summary[3]) > 0.1);

  const html = readFileSync(join(out, 'index.html'), 'utf8');
  for (const heading of ['Training', 'Reconstructions', 'The 2-D map', 'Generated digits']) {
    assert.match(html, new RegExp(`<h2[^>]*>${heading}</h2>`));
  }
  const files = ['loss.svg', 'reconstructions.png', 'map.svg', 'latent-walk.png'];
  for (const file of [...files, 'prior-samples.png', 'samples-per-digit.png']) {
    assert.ok(existsSync(join(out, file)), file);
    assert.ok(html.includes(`src="${file}"`), `index.html links ${file}`);
  }
  const vae = loadModel(join(out, 'vae2.aekit'));
  assert.equal(vae.config.latentDim, 2);
  assert.equal((vae.summary as { epochsRun: number }).epochsRun, 1);
  vae.model.dispose();
});

test('aekit demo refuses a bad option value with exit code 2', () => {
  const run = spawnSync(process.execPath, [bin, 'demo', '--epochs', 'many'], { encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /option '--epochs <n>' argument 'many' is invalid/);
});
