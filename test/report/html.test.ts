import assert from 'node:assert/strict';
import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  HtmlReport,
  formatNumber,
  imageGrid,
  lineChart,
  savePngs,
} from '../../src/report/index.js';
import { decode, rejectsOneLine, temporaryFolder, throwsOneLine } from './helpers.js';

let root = '';
let remove = async () => {};
before(async () => ({ dir: root, remove } = await temporaryFolder()));
after(() => remove());

const date = new Date('2025-03-01T14:05:09Z');

/** Every `src` and `href` value of the page, in order. */
function links(html: string): string[] {
  return [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
}

test('HtmlReport writes a self-contained folder: sections, numbers, pictures', async () => {
  const dir = path.join(root, 'report');
  const grid = await imageGrid(new Float32Array(4 * 28 * 28).fill(0.5), [4, 1, 28, 28], {
    columns: 2,
    scale: 2,
  });
  const loss = await lineChart([{ name: 'train', x: [1, 2, 3], y: [0.3, 0.2, 0.1] }], {
    title: 'Loss',
    xLabel: 'epoch',
    yLabel: 'loss',
  });
  const samples = await savePngs(
    new Float32Array(2 * 4).fill(1),
    [2, 1, 2, 2],
    path.join(dir, 'samples'),
    ['0', '1'],
  );
  assert.equal(samples.length, 2);

  const report = new HtmlReport('MNIST <autoencoder>', { subtitle: 'conv, latent 16', date });
  report
    .section({
      heading: 'Reconstructions',
      text: 'Test digits above their reconstructions.\n\nA second paragraph & more.',
      numbers: { 'test PSNR (dB)': 21.3456, 'test images': 10000, model: 'conv' },
      images: [
        { file: 'reconstructions.png', content: grid, caption: 'Four grey squares' },
        { file: 'loss.svg', content: loss, caption: 'Training loss', width: 240 },
      ],
    })
    .section({
      heading: 'Per class',
      table: {
        columns: ['digit', 'MSE'],
        rows: [
          ['0', 0.0123456],
          ['1', 0.5],
        ],
      },
      images: [{ file: 'samples/0.png', caption: 'A sample written by savePngs' }],
    });
  const written = await report.write(dir);
  assert.equal(written.index, path.join(dir, 'index.html'));
  assert.deepEqual(written.files, [
    path.join(dir, 'reconstructions.png'),
    path.join(dir, 'loss.svg'),
  ]);
  assert.deepEqual((await readdir(dir)).sort(), [
    'index.html',
    'loss.svg',
    'reconstructions.png',
    'samples',
  ]);

  const html = await readFile(written.index, 'utf8');
  assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
  assert.match(html, /<title>MNIST &lt;autoencoder&gt;<\/title>/);
  assert.match(html, /<h1>MNIST &lt;autoencoder&gt;<\/h1>/);
  assert.match(html, /<p class="subtitle">conv, latent 16<\/p>/);
  assert.deepEqual(
    [...html.matchAll(/<h2>([^<]*)<\/h2>/g)].map((m) => m[1]),
    ['Reconstructions', 'Per class'],
  );
  assert.match(html, /<p>A second paragraph &amp; more\.<\/p>/);
  assert.match(html, /<th scope="row">test PSNR \(dB\)<\/th><td>21\.35<\/td>/);
  assert.match(html, /<th scope="row">test images<\/th><td>10,000<\/td>/);
  assert.match(html, /<tr><td>0<\/td><td class="number">0\.01235<\/td><\/tr>/);
  assert.match(html, /Made by aekit on 2025-03-01 14:05 UTC\./);

  // Pictures carry their own size (the PNG is 2 * 56 + 3 * 2 = 118 pixels wide).
  assert.match(
    html,
    /<img src="reconstructions\.png" alt="Four grey squares" width="118" height="118" class="pix/,
  );
  assert.match(html, /<img src="loss\.svg" alt="Training loss" width="240" height="\d+" loading/);
  assert.match(
    html,
    /<img src="samples\/0\.png" alt="A sample written by savePngs" class="pixelated"/,
  );

  // Offline: no script, no external reference, and every link resolves inside the folder.
  assert.doesNotMatch(html, /<script|<link|@import|url\(/i);
  const targets = links(html);
  assert.deepEqual(targets, [
    '#section-1',
    '#section-2',
    'reconstructions.png',
    'reconstructions.png',
    'loss.svg',
    'loss.svg',
    'samples/0.png',
    'samples/0.png',
  ]);
  for (const target of targets.filter((t) => !t.startsWith('#'))) {
    await access(path.join(dir, target));
  }
  for (const id of targets.filter((t) => t.startsWith('#')))
    assert.ok(html.includes(`id="${id.slice(1)}"`));

  // The files are the ones given.
  assert.equal((await decode(await readFile(path.join(dir, 'reconstructions.png')))).width, 118);
  assert.equal(await readFile(path.join(dir, 'loss.svg'), 'utf8'), loss);
});

test('HtmlReport escapes text and leaves out contents and date when not wanted', async () => {
  const report = new HtmlReport('Scores', { date: null });
  report.section({ heading: '<script>alert(1)</script>', text: 'a < b "quoted"' });
  const html = report.toHtml();
  assert.ok(!html.includes('<script>'));
  assert.match(html, /<h2>&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/h2>/);
  assert.match(html, /<p>a &lt; b &quot;quoted&quot;<\/p>/);
  assert.doesNotMatch(html, /<nav|<footer/);
});

test('HtmlReport.write refuses a missing linked picture and writes no index.html', async () => {
  const dir = path.join(root, 'missing');
  const report = new HtmlReport('Report', { date });
  report.section({ heading: 'Samples', images: [{ file: 'samples/9.png' }] });
  await rejectsOneLine(() => report.write(dir), {
    code: 'BAD_FILE',
    message:
      'HtmlReport.write: sections[0].images[0].file: expected an existing file, got none at ' +
      path.join(dir, 'samples', '9.png'),
  });
  assert.deepEqual(await readdir(dir), []);
});

test('bad report sections are one-line errors naming the field', () => {
  const report = new HtmlReport('Report');
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
  throwsOneLine(() => new HtmlReport(''), {
    name: 'TypeError',
    message: 'HtmlReport: title: expected a non-empty string, got string ""',
  });
  throwsOneLine(() => report.section({ heading: ' ' }), {
    message: 'HtmlReport.section: heading: expected a non-empty string, got string " "',
  });
  throwsOneLine(
    () => report.section({ heading: 'h', images: [{ file: '../up.png', content: png }] }),
    {
      name: 'RangeError',
      message:
        /^HtmlReport\.section: images\[0\]\.file: expected a relative path .* "\.\.\/up\.png"$/,
    },
  );
  throwsOneLine(
    () => report.section({ heading: 'h', images: [{ file: '/tmp/x.png', content: png }] }),
    {
      name: 'RangeError',
      message: /^HtmlReport\.section: images\[0\]\.file: expected a relative path/,
    },
  );
  throwsOneLine(
    () => report.section({ heading: 'h', images: [{ file: 'notes.txt', content: png }] }),
    {
      message: /^HtmlReport\.section: images\[0\]\.file: expected a name ending in \.png, \.svg/,
    },
  );
  throwsOneLine(
    () => report.section({ heading: 'h', images: [{ file: 'a.png', content: '<svg/>' }] }),
    {
      name: 'TypeError',
      message:
        /^HtmlReport\.section: images\[0\]\.content: expected bytes .*, got string "<svg\/>"$/,
    },
  );
  throwsOneLine(
    () => report.section({ heading: 'h', table: { columns: ['a', 'b'], rows: [['x']] } }),
    {
      code: 'SHAPE',
      message: 'HtmlReport.section: table.rows[0]: expected 2 cells, one per column, got 1',
    },
  );
  throwsOneLine(
    () => report.section({ heading: 'h', numbers: { psnr: [1] as unknown as number } }),
    {
      name: 'TypeError',
      message:
        'HtmlReport.section: numbers.psnr: expected a number or a string, got array of length 1',
    },
  );

  // A file name may appear once in a report; a failed section adds nothing.
  report.section({ heading: 'first', images: [{ file: 'a.png', content: png }] });
  throwsOneLine(
    () => report.section({ heading: 'second', images: [{ file: 'a.png', content: png }] }),
    {
      code: 'BAD_INPUT',
      message:
        'HtmlReport.section: images[0].file: ' +
        'expected a file name not yet in the report, got a.png again',
    },
  );
  assert.equal([...report.toHtml().matchAll(/<h2>/g)].length, 1);
});

test('formatNumber writes numbers for people', () => {
  assert.equal(formatNumber(60000), '60,000');
  assert.equal(formatNumber(-3), '-3');
  assert.equal(formatNumber(0), '0');
  assert.equal(formatNumber(0.0123456), '0.01235');
  assert.equal(formatNumber(21.3456), '21.35');
  assert.equal(formatNumber(1234.5678), '1235');
  assert.equal(formatNumber(0.5), '0.5');
  assert.equal(formatNumber(0.000012346), '1.235e-5');
  assert.equal(formatNumber(1234567.5), '1.235e+6');
  assert.equal(formatNumber(2.5e9), '2,500,000,000');
  assert.equal(formatNumber(1.5e20), '1.5e+20');
  assert.equal(formatNumber(NaN), 'NaN');
  assert.equal(formatNumber(-Infinity), '\u2212\u221e');
});
