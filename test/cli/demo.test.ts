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
import { trainedCorruption } from '../../src/tasks/index.js';

const bin = fileURLToPath(new URL('../../../bin/aekit.js', import.meta.url));

test('aekit demo trains, saves its three models and writes the report', () => {
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
  const headings = [
    'Training',
    'Reconstructions',
    'Denoising',
    'The 2-D map',
    'Generated digits',
    'Anomaly scores',
  ];
  for (const heading of headings) {
    assert.match(html, new RegExp(`<h2[^>]*>${heading}</h2>`));
  }
  const files = ['loss.svg', 'reconstructions.png', 'map.svg', 'latent-walk.png'];
  for (const file of [...files, 'prior-samples.png', 'samples-per-digit.png']) {
    assert.ok(existsSync(join(out, file)), file);
    assert.ok(html.includes(`src="${file}"`), `index.html links ${file}`);
  }

  // Denoising: PSNR and SSIM of the noisy input, the denoiser's output and the VAE's.
  const denoising = sectionCells(html, 'Denoising').map(Number);
  assert.equal(denoising.length, 6);
  assert.ok(denoising.every(Number.isFinite), denoising.join(', '));
  const denoised = /PSNR of the output \(dB\)<\/th><td>([\d.]+)<\/td>/.exec(html);
  assert.ok(denoised, 'the Denoising section prints the PSNR of the output');
  assert.ok(Number(denoised[1]) > 5, denoised[1]);

  // Anomaly scores: 60 digits scored, then one row per digit class: digit, count, mean score.
  const [scored, meanScore, ...table] = sectionCells(html, 'Anomaly scores').map(Number);
  assert.equal(scored, 60);
  assert.ok(Number.isFinite(meanScore) && meanScore > 0, String(meanScore));
  const rows = Array.from({ length: table.length / 3 }, (_, i) => table.slice(3 * i, 3 * i + 3));
  assert.deepEqual(
    rows.map(([digit]) => digit),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.equal(
    rows.reduce((sum, [, count]) => sum + count, 0),
    60,
  );
  assert.ok(
    rows.every(([, , mean]) => Number.isFinite(mean) && mean > 0),
    table.join(', '),
  );
  for (const file of ['denoising.png', 'most-unusual.png', 'most-ordinary.png']) {
    assert.ok(existsSync(join(out, file)), file);
    assert.ok(html.includes(`src="${file}"`), `index.html links ${file}`);
  }

  // The models record their training data, so --class needs no --data.
  const threes = join(out, 'threes.png');
  const generate = spawnSync(
    process.execPath,
    [bin, 'generate', '--model', join(out, 'vae16.aekit'), '--class', '3', '-n', '4', '-o', threes],
    { encoding: 'utf8' },
  );
  assert.equal(generate.status, 0, generate.stderr);
  assert.match(generate.stdout + generate.stderr, /4 samples like class 3/);
  assert.ok(existsSync(threes));

  const vae = loadModel(join(out, 'vae2.aekit'));
  assert.equal(vae.config.latentDim, 2);
  assert.equal((vae.summary as { epochsRun: number }).epochsRun, 1);
  vae.model.dispose();
  // The denoiser records its corruption, which is what 'aekit denoise' checks for.
  const denoiser = loadModel(join(out, 'denoiser.aekit'));
  assert.equal(denoiser.config.family, 'conv');
  assert.deepEqual(trainedCorruption(denoiser.summary), {
    kind: 'gaussian',
    sigma: 0.3,
    clip: [0, 1],
  });
  denoiser.model.dispose();
});

/** The table cells of the report section headed `heading`, as text. */
function sectionCells(html: string, heading: string): string[] {
  const start = html.indexOf(`>${heading}</h2>`);
  assert.ok(start >= 0, `a section headed ${heading}`);
  const section = html.slice(start, html.indexOf('</section>', start));
  return [...section.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((match) => match[1]);
}

test('aekit demo refuses a bad option value with exit code 2', () => {
  const run = spawnSync(process.execPath, [bin, 'demo', '--epochs', 'many'], { encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /option '--epochs <n>' argument 'many' is invalid/);
});
