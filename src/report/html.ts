/**
 * The HTML report: one page, `index.html`, with sections of text, key numbers, tables and
 * pictures. Pictures are files in the same folder, linked by relative paths, and the CSS is
 * inline, so the folder is self-contained: it opens offline and can be copied or zipped.
 */

import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';

import { AekitError, checkType, invalid } from '../engine/errors.js';
import { checkOptions } from './checks.js';
import { checkRelativeFile, writeFileAtomic } from './files.js';
import { escapeXml as escapeHtml } from './escape.js';

/** A picture in a report section. */
export interface ReportImage {
  /**
   * Path of the picture inside the report folder, e.g. `'loss.svg'` or `'samples/0.png'`;
   * `.png`, `.svg`, `.jpg`, `.jpeg`, `.webp` or `.gif`.
   */
  file: string;
  /**
   * Bytes (or SVG text) written to `file` by {@link HtmlReport.write}. Omitted: the file
   * must already be in the folder when the report is written (from `savePngs`, say).
   */
  content?: Uint8Array | string;
  /** Line under the picture. */
  caption?: string;
  /** Text for screen readers and broken links. Default: the caption, else the file name. */
  alt?: string;
  /** Displayed width in CSS pixels; the height follows. Default: the picture's own width. */
  width?: number;
  /**
   * Enlarge without smoothing, so that upscaled pixels stay square. Default: true for PNG
   * (image grids), false otherwise.
   */
  pixelated?: boolean;
}

/** A table of a report section. */
export interface ReportTable {
  /** Column headings. */
  columns: string[];
  /** Rows of cells, each as long as `columns`; numbers are formatted by {@link formatNumber}. */
  rows: (string | number)[][];
}

/** One section of an {@link HtmlReport}. */
export interface ReportSection {
  /** Heading, also listed in the contents. */
  heading: string;
  /** Short text; a blank line starts a new paragraph. Plain text, not HTML. */
  text?: string;
  /**
   * Key numbers shown as a small two-column table, in order: `{ 'test PSNR (dB)': 21.3 }` or
   * `[['test PSNR (dB)', 21.3]]`.
   */
  numbers?: Record<string, number | string> | [string, number | string][];
  /** A larger table, such as results per class. */
  table?: ReportTable;
  /** Pictures, side by side where they fit. */
  images?: ReportImage[];
}

/** Options of {@link HtmlReport}. */
export interface HtmlReportOptions {
  /** Line under the title, e.g. the model and data set. */
  subtitle?: string;
  /** When the report was made, shown at the bottom. Default: now. `null` leaves it out. */
  date?: Date | null;
}

/** What {@link HtmlReport.write} wrote. */
export interface ReportWritten {
  /** Path of `index.html`. */
  index: string;
  /** Paths of the pictures written, in order. */
  files: string[];
}

const IMAGE_TYPES = ['.png', '.svg', '.jpg', '.jpeg', '.webp', '.gif'];

/**
 * Builds an HTML report section by section and writes it into a folder.
 *
 * @example
 * ```ts
 * const report = new HtmlReport('MNIST autoencoder', { subtitle: 'conv, latent 16' });
 * report.section({
 *   heading: 'Reconstructions',
 *   text: 'Test images (odd rows) and their reconstructions (even rows).',
 *   numbers: { 'test PSNR (dB)': 21.3, 'bits per pixel': 0.41 },
 *   images: [{ file: 'reconstructions.png', content: png, caption: '64 test digits' }],
 * });
 * await report.write('out/report'); // out/report/index.html, out/report/reconstructions.png
 * ```
 */
export class HtmlReport {
  readonly title: string;
  private readonly subtitle: string | undefined;
  private readonly date: Date | null;
  private readonly sections: ReportSection[] = [];
  private readonly files = new Set<string>();

  constructor(title: string, options?: HtmlReportOptions) {
    const fn = 'HtmlReport';
    this.title = checkText(`${fn}: title`, title);
    const opts = checkOptions<HtmlReportOptions>(fn, options);
    this.subtitle =
      opts.subtitle === undefined ? undefined : checkText(`${fn}: options.subtitle`, opts.subtitle);
    if (opts.date !== undefined && opts.date !== null) {
      checkType(
        opts.date instanceof Date && !Number.isNaN(opts.date.getTime()),
        `${fn}: options.date`,
        'a valid Date or null',
        opts.date,
      );
    }
    this.date = opts.date === undefined ? new Date() : opts.date;
  }

  /**
   * Adds a section at the end. Everything is checked here, so that a bad section fails
   * where it is added rather than when the report is written.
   *
   * @returns This report, to chain calls.
   */
  section(section: ReportSection): this {
    const fn = `HtmlReport.section`;
    checkType(
      typeof section === 'object' && section !== null,
      `${fn}: section`,
      'an object',
      section,
    );
    checkText(`${fn}: heading`, section.heading);
    if (section.text !== undefined)
      checkType(typeof section.text === 'string', `${fn}: text`, 'a string', section.text);
    numberRows(fn, section.numbers);
    if (section.table !== undefined) checkTable(fn, section.table);

    const images = section.images ?? [];
    checkType(
      Array.isArray(images),
      `${fn}: images`,
      'an array of { file, content?, caption? }',
      images,
    );
    const added: string[] = [];
    images.forEach((image, i) => {
      const what = `${fn}: images[${i}]`;
      checkType(
        typeof image === 'object' && image !== null,
        what,
        'an object { file, content? }',
        image,
      );
      const file = checkRelativeFile(image.file, `${what}.file`);
      const type = path.extname(file).toLowerCase();
      if (!IMAGE_TYPES.includes(type)) {
        throw new RangeError(
          invalid(`${what}.file`, `a name ending in ${IMAGE_TYPES.join(', ')}`, file),
        );
      }
      if (file.toLowerCase() === 'index.html' || this.files.has(file) || added.includes(file)) {
        throw new AekitError(
          'BAD_INPUT',
          `${what}.file: expected a file name not yet in the report, got ${file} again`,
        );
      }
      if (image.content !== undefined) {
        const ok =
          image.content instanceof Uint8Array ||
          (typeof image.content === 'string' && type === '.svg');
        checkType(
          ok,
          `${what}.content`,
          'bytes (Uint8Array or Buffer), or a string for .svg',
          image.content,
        );
      }
      for (const key of ['caption', 'alt'] as const) {
        if (image[key] !== undefined)
          checkType(typeof image[key] === 'string', `${what}.${key}`, 'a string', image[key]);
      }
      if (image.width !== undefined) {
        const ok =
          typeof image.width === 'number' && Number.isInteger(image.width) && image.width > 0;
        checkType(ok, `${what}.width`, 'a positive integer', image.width);
      }
      if (image.pixelated !== undefined) {
        checkType(
          typeof image.pixelated === 'boolean',
          `${what}.pixelated`,
          'true or false',
          image.pixelated,
        );
      }
      added.push(file);
    });

    added.forEach((file) => this.files.add(file));
    this.sections.push({ ...section, images: images.map((image) => ({ ...image })) });
    return this;
  }

  /** The page as HTML text, with pictures linked by their relative paths. */
  toHtml(): string {
    const parts: string[] = [];
    parts.push(
      '<!DOCTYPE html>',
      '<html lang="en">',
      '<head>',
      '<meta charset="utf-8">',
      '<meta name="viewport" content="width=device-width, initial-scale=1">',
      '<meta name="generator" content="aekit">',
      `<title>${escapeHtml(this.title)}</title>`,
      `<style>${CSS}</style>`,
      '</head>',
      '<body>',
      '<header>',
      `<h1>${escapeHtml(this.title)}</h1>`,
    );
    if (this.subtitle !== undefined)
      parts.push(`<p class="subtitle">${escapeHtml(this.subtitle)}</p>`);
    if (this.sections.length > 1) {
      parts.push('<nav aria-label="Contents"><ol>');
      this.sections.forEach((s, i) => {
        parts.push(`<li><a href="#section-${i + 1}">${escapeHtml(s.heading)}</a></li>`);
      });
      parts.push('</ol></nav>');
    }
    parts.push('</header>', '<main>');
    this.sections.forEach((s, i) => parts.push(sectionHtml(s, i + 1)));
    parts.push('</main>');
    if (this.date !== null) {
      parts.push(`<footer>Made by aekit on ${escapeHtml(formatDate(this.date))}.</footer>`);
    }
    parts.push('</body>', '</html>', '');
    return parts.join('\n');
  }

  /**
   * Writes the pictures with content and then `index.html` into `dir`, creating folders as
   * needed; every file is written atomically. Pictures without content must already exist
   * in `dir`. `index.html` comes last, so a report that opens has all its pictures.
   */
  async write(dir: string): Promise<ReportWritten> {
    const fn = 'HtmlReport.write';
    checkType(typeof dir === 'string' && dir.length > 0, `${fn}: dir`, 'a folder path', dir);
    await makeFolder(fn, dir);

    const written: string[] = [];
    for (const [s, section] of this.sections.entries()) {
      for (const [i, image] of (section.images ?? []).entries()) {
        const target = path.join(dir, ...image.file.split('/'));
        if (image.content === undefined) {
          const found = await stat(target).then(
            (info) => info.isFile(),
            () => false,
          );
          if (!found) {
            throw new AekitError(
              'BAD_FILE',
              `${fn}: sections[${s}].images[${i}].file: expected an existing file, ` +
                `got none at ${target}`,
            );
          }
          continue;
        }
        await makeFolder(fn, path.dirname(target));
        await writeFileAtomic(target, image.content, fn);
        written.push(target);
      }
    }
    const index = path.join(dir, 'index.html');
    await writeFileAtomic(index, this.toHtml(), fn);
    return { index, files: written };
  }
}

/**
 * Formats a number for people: integers with thousands separators (`60,000`), others to
 * four significant digits (`0.01235`, `21.35`), very large or small ones in exponent form.
 */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '\u221e' : '\u2212\u221e';
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return value.toLocaleString('en-US');
  const size = Math.abs(value);
  if (size !== 0 && (size < 1e-3 || size >= 1e6))
    return value.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(value.toPrecision(4)));
}

function sectionHtml(section: ReportSection, index: number): string {
  const parts = [`<section id="section-${index}">`, `<h2>${escapeHtml(section.heading)}</h2>`];
  for (const paragraph of (section.text ?? '').split(/\n\s*\n/)) {
    if (paragraph.trim() !== '') parts.push(`<p>${escapeHtml(paragraph.trim())}</p>`);
  }

  const numbers = numberRows('sectionHtml', section.numbers);
  if (numbers.length > 0) {
    parts.push('<table class="numbers"><tbody>');
    for (const [name, value] of numbers) {
      parts.push(`<tr><th scope="row">${escapeHtml(name)}</th><td>${cellText(value)}</td></tr>`);
    }
    parts.push('</tbody></table>');
  }

  if (section.table !== undefined) {
    const head = section.table.columns.map((c) => `<th scope="col">${escapeHtml(c)}</th>`).join('');
    parts.push(
      '<div class="scroll"><table class="data">',
      `<thead><tr>${head}</tr></thead>`,
      '<tbody>',
    );
    for (const row of section.table.rows) {
      const cells = row.map((cell) => {
        return typeof cell === 'number'
          ? `<td class="number">${cellText(cell)}</td>`
          : `<td>${cellText(cell)}</td>`;
      });
      parts.push(`<tr>${cells.join('')}</tr>`);
    }
    parts.push('</tbody></table></div>');
  }

  const images = section.images ?? [];
  if (images.length > 0) {
    parts.push('<div class="figures">');
    for (const image of images) parts.push(figureHtml(image));
    parts.push('</div>');
  }
  parts.push('</section>');
  return parts.join('\n');
}

function figureHtml(image: ReportImage): string {
  const type = path.extname(image.file).toLowerCase();
  const pixelated = image.pixelated ?? type === '.png';
  const alt = image.alt ?? image.caption ?? image.file;

  // Width and height attributes, from the picture itself when its bytes are known.
  const natural = image.content === undefined ? undefined : pictureSize(image.content, type);
  let size = '';
  if (image.width !== undefined) {
    const height =
      natural === undefined ? undefined : Math.round((image.width * natural[1]) / natural[0]);
    size = ` width="${image.width}"` + (height === undefined ? '' : ` height="${height}"`);
  } else if (natural !== undefined) {
    size = ` width="${natural[0]}" height="${natural[1]}"`;
  }

  const source = image.file.split('/').map(encodeURIComponent).join('/');
  const parts = [
    '<figure>',
    `<a href="${source}"><img src="${source}" alt="${escapeHtml(alt)}"${size}` +
      `${pixelated ? ' class="pixelated"' : ''} loading="lazy"></a>`,
  ];
  if (image.caption !== undefined)
    parts.push(`<figcaption>${escapeHtml(image.caption)}</figcaption>`);
  parts.push('</figure>');
  return parts.join('');
}

/** Width and height of a PNG (from its header) or an SVG (from its root attributes). */
function pictureSize(content: Uint8Array | string, type: string): [number, number] | undefined {
  if (type === '.png' && content instanceof Uint8Array && content.length >= 24) {
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    const signature = view.getUint32(0) === 0x89504e47 && view.getUint32(12) === 0x49484452;
    return signature ? [view.getUint32(16), view.getUint32(20)] : undefined;
  }
  if (type === '.svg') {
    const text = typeof content === 'string' ? content : Buffer.from(content).toString('utf8');
    const root = /<svg\b[^>]*>/.exec(text)?.[0] ?? '';
    const width = /\swidth="(\d+(?:\.\d+)?)(?:px)?"/.exec(root)?.[1];
    const height = /\sheight="(\d+(?:\.\d+)?)(?:px)?"/.exec(root)?.[1];
    if (width !== undefined && height !== undefined)
      return [Math.round(+width), Math.round(+height)];
  }
  return undefined;
}

function cellText(value: number | string): string {
  return escapeHtml(typeof value === 'number' ? formatNumber(value) : value);
}

function numberRows(fn: string, numbers: ReportSection['numbers']): [string, number | string][] {
  if (numbers === undefined) return [];
  checkType(
    typeof numbers === 'object' && numbers !== null,
    `${fn}: numbers`,
    'an object or an array of [name, value]',
    numbers,
  );
  const rows = Array.isArray(numbers) ? numbers : Object.entries(numbers);
  rows.forEach((row, i) => {
    const ok = Array.isArray(row) && row.length === 2 && typeof row[0] === 'string';
    checkType(ok, `${fn}: numbers[${i}]`, 'a pair [name, value]', row);
    checkType(
      typeof row[1] === 'number' || typeof row[1] === 'string',
      `${fn}: numbers.${row[0]}`,
      'a number or a string',
      row[1],
    );
  });
  return rows;
}

function checkTable(fn: string, table: ReportTable): void {
  checkType(
    typeof table === 'object' && table !== null,
    `${fn}: table`,
    'an object { columns, rows }',
    table,
  );
  checkType(
    Array.isArray(table.columns) && table.columns.length > 0,
    `${fn}: table.columns`,
    'a non-empty array of strings',
    table.columns,
  );
  table.columns.forEach((c, i) =>
    checkType(typeof c === 'string', `${fn}: table.columns[${i}]`, 'a string', c),
  );
  checkType(Array.isArray(table.rows), `${fn}: table.rows`, 'an array of rows', table.rows);
  table.rows.forEach((row, r) => {
    checkType(Array.isArray(row), `${fn}: table.rows[${r}]`, 'an array of cells', row);
    if (row.length !== table.columns.length) {
      throw new AekitError(
        'SHAPE',
        `${fn}: table.rows[${r}]: expected ${table.columns.length} cells, one per column, ` +
          `got ${row.length}`,
      );
    }
    row.forEach((cell, c) => {
      checkType(
        typeof cell === 'number' || typeof cell === 'string',
        `${fn}: table.rows[${r}][${c}]`,
        'a number or a string',
        cell,
      );
    });
  });
}

function checkText(what: string, value: unknown): string {
  checkType(
    typeof value === 'string' && value.trim().length > 0,
    what,
    'a non-empty string',
    value,
  );
  return value as string;
}

async function makeFolder(fn: string, dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new AekitError('BAD_FILE', `${fn}: could not create ${dir}: ${reason}`, { cause: error });
  }
}

/** `2025-03-01 14:05 UTC`: unambiguous and the same on every machine. */
function formatDate(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The page's style: readable type, cards per section, tables with aligned figures. */
const CSS = `
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --card: #ffffff; --page: #f6f8fa;
  --accent: #0969da; color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--ink);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; }
header, main, footer { max-width: 1120px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 36px; padding-bottom: 4px; }
h1 { font-size: 30px; line-height: 1.2; margin: 0 0 6px; }
.subtitle { color: var(--muted); margin: 0 0 12px; font-size: 17px; }
nav ol { list-style: none; padding: 0; margin: 12px 0 0; display: flex; flex-wrap: wrap;
  gap: 6px 18px; }
nav a { color: var(--accent); text-decoration: none; }
nav a:hover { text-decoration: underline; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 22px 26px; margin: 22px 0; }
h2 { font-size: 21px; margin: 0 0 10px; }
p { margin: 0 0 10px; max-width: 75ch; }
table { border-collapse: collapse; margin: 14px 0; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 14px 5px 0; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
table.numbers th { font-weight: 400; color: var(--muted); padding-right: 28px; }
table.numbers td { font-weight: 600; text-align: right; padding-right: 0; }
table.data th { font-weight: 600; border-bottom: 2px solid var(--line); }
table.data td.number { text-align: right; }
.scroll { overflow-x: auto; }
.figures { display: flex; flex-wrap: wrap; gap: 22px; margin-top: 16px; align-items: flex-start; }
figure { margin: 0; max-width: 100%; }
figure img { display: block; max-width: 100%; height: auto; background: #ffffff;
  border: 1px solid var(--line); border-radius: 6px; }
img.pixelated { image-rendering: pixelated; }
figcaption { color: var(--muted); font-size: 14px; margin-top: 6px; max-width: 65ch; }
footer { color: var(--muted); font-size: 13px; padding-top: 4px; padding-bottom: 36px; }
@media print { body { background: #ffffff; } section { border: none; break-inside: avoid; }
  nav { display: none; } }
`;
