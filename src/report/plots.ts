/**
 * Charts as SVG: loss curves, 2-D code maps coloured by label, and bar charts. Each chart is
 * a Vega-Lite spec compiled and rendered by Vega on the server, headless: no canvas, no
 * browser, no network (the loader refuses every URL). {@link svgToPng} rasterises with sharp.
 */

import sharp from 'sharp';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

import { AekitError, checkInteger, checkNumber, checkType } from '../engine/errors.js';
import { checkFinite, checkOptions } from './checks.js';

/** One named curve of {@link lineChart}. */
export interface Series {
  /** Legend entry, e.g. `'train'` or `'validation'`. Unique within a chart. */
  name: string;
  /** Positions along the x axis, e.g. epochs. */
  x: ArrayLike<number>;
  /** Values, one per x, e.g. the loss at each epoch. */
  y: ArrayLike<number>;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  /** Title above the chart. */
  title: string;
  /** Title of the x axis. */
  xLabel: string;
  /** Title of the y axis. */
  yLabel: string;
  /** Logarithmic y axis; every y must then be positive. Default false. */
  logY?: boolean;
  /** Draw a dot at each point. Default: when no series has more than 60 points. */
  points?: boolean;
  /** Plot area width in pixels. Default 480. */
  width?: number;
  /** Plot area height in pixels. Default 300. */
  height?: number;
}

/** Options of {@link scatterPlot}. */
export interface ScatterPlotOptions {
  /** Title above the chart. */
  title: string;
  /** A line under the title, in smaller type: the numbers behind the chart, say. */
  subtitle?: string;
  /** Legend entry of each label value: `labelNames[label]`. Default: the number itself. */
  labelNames?: string[];
  /** Dot diameter in pixels. Default: 5 up to 1,000 points, 3.5 up to 5,000, then 2.5. */
  pointSize?: number;
  /** Dot opacity in (0, 1]. Default: 0.85 up to 2,000 points, then 0.6. */
  opacity?: number;
  /** Title of the x axis. Default `'dimension 1'`. */
  xLabel?: string;
  /** Title of the y axis. Default `'dimension 2'`. */
  yLabel?: string;
  /** Title of the legend. Default `'label'`. */
  legendTitle?: string;
  /** Plot area width in pixels. Default 480. */
  width?: number;
  /** Plot area height in pixels. Default 480. */
  height?: number;
}

/** One bar of {@link barChart}. */
export interface Bar {
  /** Category under the bar. Unique within a chart. */
  label: string;
  /** Height of the bar. */
  value: number;
}

/** Options of {@link barChart}. */
export interface BarChartOptions {
  /** Title above the chart. */
  title: string;
  /** Title of the category axis. Default: none. */
  xLabel?: string;
  /** Title of the value axis. */
  yLabel: string;
  /** Plot area width in pixels. Default: 40 per bar, at least 240. */
  width?: number;
  /** Plot area height in pixels. Default 300. */
  height?: number;
}

/** Options of {@link svgToPng}. */
export interface SvgToPngOptions {
  /** Pixels per SVG unit; 2 gives a sharp picture on high-density screens. Default 1. */
  scale?: number;
}

/** Tableau's ten colours, distinct for most colour vision; twenty for more classes. */
const PALETTE_10 = 'tableau10';
const PALETTE_20 = 'tableau20';

/** The look shared by every chart. Fonts fall back to what the system has, no downloads. */
const CONFIG = {
  font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
  background: '#ffffff',
  padding: 12,
  view: { stroke: '#d0d7de' },
  title: {
    fontSize: 15,
    fontWeight: 600,
    anchor: 'start',
    offset: 12,
    color: '#1f2328',
    subtitleFontSize: 12,
    subtitleColor: '#424a53',
    subtitlePadding: 4,
  },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 500,
    labelColor: '#424a53',
    titleColor: '#1f2328',
    gridColor: '#eaeef2',
    domainColor: '#8c959f',
    tickColor: '#8c959f',
  },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 500, labelLimit: 200 },
} as const;

/**
 * Draws curves, one per series, with a legend naming each: training and validation loss
 * per epoch, for instance.
 *
 * @returns The chart as an SVG document.
 * @example
 * ```ts
 * const svg = await lineChart(
 *   [
 *     { name: 'train', x: [1, 2, 3], y: [0.3, 0.2, 0.15] },
 *     { name: 'validation', x: [1, 2, 3], y: [0.32, 0.24, 0.2] },
 *   ],
 *   { title: 'Loss', xLabel: 'epoch', yLabel: 'loss', logY: true },
 * );
 * ```
 */
export async function lineChart(series: Series[], options: LineChartOptions): Promise<string> {
  const fn = 'lineChart';
  checkType(Array.isArray(series), `${fn}: series`, 'an array of series', series);
  if (series.length === 0) {
    throw new RangeError(`${fn}: series: expected at least one series, got none`);
  }
  const opts = checkOptions<LineChartOptions>(fn, options);
  const title = checkText(fn, 'options.title', opts.title);
  const xLabel = checkText(fn, 'options.xLabel', opts.xLabel);
  const yLabel = checkText(fn, 'options.yLabel', opts.yLabel);
  const logY = checkFlag(fn, 'options.logY', opts.logY, false);
  const width = checkSize(fn, 'options.width', opts.width, 480);
  const height = checkSize(fn, 'options.height', opts.height, 300);

  const names: string[] = [];
  const values: { series: string; x: number; y: number }[] = [];
  let longest = 0;
  series.forEach((s, i) => {
    const what = `${fn}: series[${i}]`;
    checkType(typeof s === 'object' && s !== null, what, 'an object { name, x, y }', s);
    const name = checkText(fn, `series[${i}].name`, s.name);
    if (names.includes(name)) {
      throw new AekitError('BAD_INPUT', `${what}.name: expected unique names, got "${name}" twice`);
    }
    names.push(name);
    checkNumbers(fn, `series[${i}].x`, s.x);
    checkNumbers(fn, `series[${i}].y`, s.y);
    if (s.x.length !== s.y.length) {
      throw new AekitError(
        'SHAPE',
        `${what}: expected x and y of the same length, got ${s.x.length} and ${s.y.length}`,
      );
    }
    for (let k = 0; k < s.y.length; k++) {
      if (logY && !(s.y[k] > 0)) {
        throw new RangeError(
          `${what}.y: expected positive values for a logarithmic axis, got ${s.y[k]} at index ${k}`,
        );
      }
      values.push({ series: name, x: s.x[k], y: s.y[k] });
    }
    longest = Math.max(longest, s.y.length);
  });
  const points = checkFlag(fn, 'options.points', opts.points, longest <= 60);

  const spec: TopLevelSpec = {
    title: { text: titleLines(title, width) },
    width,
    height,
    data: { values },
    mark: { type: 'line', strokeWidth: 2, point: points ? { filled: true, size: 30 } : false },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xLabel, scale: { zero: false, nice: true } },
      y: {
        field: 'y',
        type: 'quantitative',
        title: yLabel,
        scale: logY ? { type: 'log', nice: false } : { zero: false, nice: true },
      },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        sort: names,
        scale: { domain: names, scheme: names.length > 10 ? PALETTE_20 : PALETTE_10 },
      },
    },
    config: CONFIG,
  };
  return render(fn, spec);
}

/**
 * Draws 2-D points, coloured by label with a legend: the map an autoencoder with a 2-D code
 * makes of its data. Readable for 10,000 points: small translucent dots, drawn in a fixed
 * shuffled order so that no class hides under the one drawn last.
 *
 * @param points - `[n, 2]` row-major: x then y of each point.
 * @param labels - One integer label per point, >= 0 (an index into `labelNames` when given).
 * @returns The chart as an SVG document.
 */
export async function scatterPlot(
  points: Float32Array,
  labels: Int32Array | undefined,
  options: ScatterPlotOptions,
): Promise<string> {
  const fn = 'scatterPlot';
  checkType(points instanceof Float32Array, `${fn}: points`, 'a Float32Array [n, 2]', points);
  if (points.length === 0)
    throw new RangeError(`${fn}: points: expected at least one point, got none`);
  if (points.length % 2 !== 0) {
    throw new AekitError(
      'SHAPE',
      `${fn}: points: expected [n, 2] values (an even length), got length ${points.length}`,
    );
  }
  checkFinite(fn, 'points', points);
  const n = points.length / 2;

  const opts = checkOptions<ScatterPlotOptions>(fn, options);
  const title = checkText(fn, 'options.title', opts.title);
  const xLabel =
    opts.xLabel === undefined ? 'dimension 1' : checkText(fn, 'options.xLabel', opts.xLabel);
  const yLabel =
    opts.yLabel === undefined ? 'dimension 2' : checkText(fn, 'options.yLabel', opts.yLabel);
  const legendTitle =
    opts.legendTitle === undefined
      ? 'label'
      : checkText(fn, 'options.legendTitle', opts.legendTitle);
  const pointSize =
    opts.pointSize === undefined
      ? n <= 1000
        ? 5
        : n <= 5000
          ? 3.5
          : 2.5
      : checkNumber(opts.pointSize, `${fn}: options.pointSize`, 0.5, 50);
  const opacity =
    opts.opacity === undefined
      ? n <= 2000
        ? 0.85
        : 0.6
      : checkNumber(opts.opacity, `${fn}: options.opacity`, 0.01, 1);
  const width = checkSize(fn, 'options.width', opts.width, 480);
  const height = checkSize(fn, 'options.height', opts.height, 480);

  // Legend names: labelNames by index, else the label values that occur, in order.
  let names: string[] | undefined;
  if (labels !== undefined) {
    checkType(labels instanceof Int32Array, `${fn}: labels`, 'an Int32Array', labels);
    if (labels.length !== n) {
      throw new AekitError(
        'SHAPE',
        `${fn}: labels: expected ${n} labels, one per point, got ${labels.length}`,
      );
    }
    if (opts.labelNames !== undefined) {
      checkType(
        Array.isArray(opts.labelNames),
        `${fn}: options.labelNames`,
        'an array of strings',
        opts.labelNames,
      );
      opts.labelNames.forEach((name, i) => checkText(fn, `options.labelNames[${i}]`, name));
      if (new Set(opts.labelNames).size !== opts.labelNames.length) {
        throw new AekitError(
          'BAD_INPUT',
          `${fn}: options.labelNames: expected unique names, got duplicates`,
        );
      }
      if (opts.labelNames.length === 0) {
        throw new RangeError(`${fn}: options.labelNames: expected at least one name, got none`);
      }
    }
    const top =
      opts.labelNames === undefined ? Number.MAX_SAFE_INTEGER : opts.labelNames.length - 1;
    const present = new Set<number>();
    for (let i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] > top) checkInteger(labels[i], `${fn}: labels[${i}]`, 0, top);
      present.add(labels[i]);
    }
    names = opts.labelNames ?? [...present].sort((a, b) => a - b).map(String);
  } else if (opts.labelNames !== undefined) {
    throw new AekitError(
      'BAD_INPUT',
      `${fn}: options.labelNames: expected labels to name, got no labels`,
    );
  }

  // A fixed pseudo-random drawing order (Knuth's multiplicative hash of the index).
  const order = Array.from({ length: n }, (_, i) => i);
  if (labels !== undefined) {
    const key = (i: number) => Math.imul(i + 1, 2654435761) >>> 0;
    order.sort((a, b) => key(a) - key(b));
  }
  const values = order.map((i) => {
    const row: { x: number; y: number; label?: string } = {
      x: points[2 * i],
      y: points[2 * i + 1],
    };
    if (labels !== undefined && names !== undefined) {
      row.label = opts.labelNames === undefined ? String(labels[i]) : names[labels[i]];
    }
    return row;
  });

  const subtitle =
    opts.subtitle === undefined ? undefined : checkText(fn, 'options.subtitle', opts.subtitle);
  const spec: TopLevelSpec = {
    title: {
      text: titleLines(title, width),
      ...(subtitle === undefined ? {} : { subtitle: titleLines(subtitle, width, 12) }),
    },
    width,
    height,
    data: { values },
    mark: {
      type: 'point',
      filled: true,
      size: pointSize * pointSize,
      opacity,
      strokeWidth: 0,
      aria: false,
      ...(labels === undefined ? { color: '#4e79a7' } : {}),
    },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xLabel, scale: { zero: false, nice: true } },
      y: { field: 'y', type: 'quantitative', title: yLabel, scale: { zero: false, nice: true } },
      ...(names === undefined
        ? {}
        : {
            color: {
              field: 'label',
              type: 'nominal',
              title: legendTitle,
              sort: names,
              scale: { domain: names, scheme: names.length > 10 ? PALETTE_20 : PALETTE_10 },
              legend: { symbolOpacity: 1, symbolSize: 80, symbolStrokeWidth: 0 },
            },
          }),
    },
    config: CONFIG,
  };
  return render(fn, spec);
}

/**
 * Draws one bar per category, in the order given: per-class error, bits per pixel by model.
 *
 * @returns The chart as an SVG document.
 */
export async function barChart(bars: Bar[], options: BarChartOptions): Promise<string> {
  const fn = 'barChart';
  checkType(Array.isArray(bars), `${fn}: bars`, 'an array of { label, value }', bars);
  if (bars.length === 0) throw new RangeError(`${fn}: bars: expected at least one bar, got none`);
  const opts = checkOptions<BarChartOptions>(fn, options);
  const title = checkText(fn, 'options.title', opts.title);
  const yLabel = checkText(fn, 'options.yLabel', opts.yLabel);
  const xLabel = opts.xLabel === undefined ? null : checkText(fn, 'options.xLabel', opts.xLabel);
  const width = checkSize(fn, 'options.width', opts.width, Math.max(240, 40 * bars.length));
  const height = checkSize(fn, 'options.height', opts.height, 300);

  const labels: string[] = [];
  const values = bars.map((bar, i) => {
    checkType(
      typeof bar === 'object' && bar !== null,
      `${fn}: bars[${i}]`,
      'an object { label, value }',
      bar,
    );
    const label = checkText(fn, `bars[${i}].label`, bar.label);
    if (labels.includes(label)) {
      throw new AekitError(
        'BAD_INPUT',
        `${fn}: bars[${i}].label: expected unique labels, got "${label}" twice`,
      );
    }
    labels.push(label);
    checkType(typeof bar.value === 'number', `${fn}: bars[${i}].value`, 'a number', bar.value);
    checkFinite(fn, `bars[${i}].value`, [bar.value]);
    return { label, value: bar.value };
  });

  const spec: TopLevelSpec = {
    title: { text: titleLines(title, width) },
    width,
    height,
    data: { values },
    mark: { type: 'bar', color: '#4e79a7', cornerRadiusEnd: 2 },
    encoding: {
      x: { field: 'label', type: 'nominal', title: xLabel, sort: labels, axis: { labelAngle: 0 } },
      y: { field: 'value', type: 'quantitative', title: yLabel },
    },
    config: CONFIG,
  };
  return render(fn, spec);
}

/**
 * Rasterises an SVG document (such as a chart from this module) to PNG with sharp, on a
 * white background, as RGB.
 *
 * @returns The PNG file's bytes; its size is the SVG's times `scale`.
 */
export async function svgToPng(svg: string, options?: SvgToPngOptions): Promise<Buffer> {
  const fn = 'svgToPng';
  checkType(
    typeof svg === 'string' && /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(svg),
    `${fn}: svg`,
    'an SVG document starting with <svg',
    svg,
  );
  const opts = checkOptions<SvgToPngOptions>(fn, options);
  const scale =
    opts.scale === undefined ? 1 : checkNumber(opts.scale, `${fn}: options.scale`, 0.1, 8);
  try {
    return await sharp(Buffer.from(svg), { density: 72 * scale })
      .flatten({ background: '#ffffff' })
      .png()
      .toBuffer();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new AekitError('BAD_INPUT', `${fn}: svg: could not render: ${reason}`, { cause: error });
  }
}

/** Compiles a Vega-Lite spec and renders it to SVG with a silent logger and no loader. */
async function render(fn: string, spec: TopLevelSpec): Promise<string> {
  const silent = vega.logger(vega.None);
  const view = new vega.View(vega.parse(compile(spec, { logger: silent }).spec), {
    renderer: 'none',
    logger: silent,
    loader: OFFLINE,
  });
  try {
    return shortenNumbers(await view.toSVG());
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new AekitError('BAD_INPUT', `${fn}: could not draw the chart: ${reason}`, {
      cause: error,
    });
  } finally {
    view.finalize();
  }
}

/** A Vega loader that refuses every URL and file: charts are drawn from inline data only. */
const OFFLINE: vega.Loader = {
  load: refuse,
  sanitize: refuse,
  http: refuse,
  file: refuse,
};

async function refuse(uri: string): Promise<never> {
  throw new AekitError('BAD_INPUT', `charts load nothing: refused ${uri}`);
}

/**
 * Rounds coordinates in `transform` and `d` attributes to two decimals: Vega writes full
 * double precision, which triples the size of a 10,000-point chart for nothing visible.
 */
function shortenNumbers(svg: string): string {
  return svg.replace(/ (transform|d)="([^"]*)"/g, (_, name: string, value: string) => {
    const short = value.replace(/(\d+\.\d\d)\d+/g, '$1');
    return ` ${name}="${short}"`;
  });
}

function checkText(fn: string, what: string, value: unknown): string {
  checkType(
    typeof value === 'string' && value.length > 0,
    `${fn}: ${what}`,
    'a non-empty string',
    value,
  );
  return value as string;
}

function checkFlag(fn: string, what: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  checkType(typeof value === 'boolean', `${fn}: ${what}`, 'true or false', value);
  return value as boolean;
}

/**
 * A title broken at spaces into lines that fit over a chart `width` pixels wide (a line per
 * element, as Vega draws an array), so that a long title does not widen the canvas.
 */
function titleLines(title: string, width: number, fontSize = 15): string | string[] {
  // Without a canvas Vega sizes text at 0.8 em per character: 12 pixels at the title's 15.
  // The title starts over the y axis, about 50 pixels left of the plot.
  const perLine = Math.max(20, Math.floor((width + 50) / (0.8 * fontSize)));
  if (title.length <= perLine) return title;
  const lines: string[] = [];
  let line = '';
  for (const word of title.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > perLine) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines;
}

function checkSize(fn: string, what: string, value: unknown, fallback: number): number {
  return value === undefined ? fallback : checkInteger(value, `${fn}: ${what}`, 50, 4000);
}

/** Checks a non-empty array or typed array of finite numbers. */
function checkNumbers(fn: string, what: string, values: unknown): void {
  const ok = Array.isArray(values) || (ArrayBuffer.isView(values) && !(values instanceof DataView));
  checkType(ok, `${fn}: ${what}`, 'an array of numbers', values);
  const list = values as ArrayLike<unknown>;
  if (list.length === 0)
    throw new RangeError(`${fn}: ${what}: expected at least one value, got none`);
  for (let i = 0; i < list.length; i++) {
    checkType(typeof list[i] === 'number', `${fn}: ${what}[${i}]`, 'a number', list[i]);
  }
  checkFinite(fn, what, list as ArrayLike<number>);
}
