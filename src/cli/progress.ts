/**
 * Training progress as the CLI shows it: a progress bar on stderr when stderr is a
 * terminal, one summary line per epoch otherwise, or with `--json` every trainer event as
 * one JSON object per line on stdout.
 */
import type { EpochRecord, TrainEvent } from '../index.js';

/** Where progress goes: a stream with `write`, and for a terminal its width. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** How progress is shown. */
export type ProgressMode = 'json' | 'bar' | 'lines';

/** Cells of the bar itself. */
const BAR_WIDTH = 20;
/** The bar is redrawn at most this often, in milliseconds (and at each epoch's end). */
const REDRAW_MS = 100;

/** A number with 4 significant digits, without trailing zeros: 123.4, 0.01234, 1.5e-7. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-4)) {
    return value.toExponential(3).replace(/\.?0+e/, 'e');
  }
  return String(Number(value.toPrecision(4)));
}

/** Seconds as `m:ss` or `h:mm:ss`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A duration for a summary line: `0.42 s` under a minute, else `m:ss`. */
export function formatSeconds(seconds: number): string {
  return seconds < 60 ? `${formatNumber(Number(seconds.toFixed(2)))} s` : formatDuration(seconds);
}

/** `1 epoch`, `2 epochs`: a count and a noun, plural (`nouns`, default noun + s) unless 1. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${formatCount(count)} ${count === 1 ? noun : nouns}`;
}

/** A whole number with thousands separators: 12,345. */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** The progress-bar line of a batch event, cut to `width` columns. */
export function barLine(
  event: Extract<TrainEvent, { type: 'batch' }>,
  epochs: number,
  width = 80,
): string {
  const done = Math.round((event.batch / event.batches) * BAR_WIDTH);
  const bar = '#'.repeat(done) + '.'.repeat(BAR_WIDTH - done);
  const line =
    `epoch ${event.epoch + 1}/${epochs} [${bar}] ${event.batch}/${event.batches} ` +
    `loss ${formatNumber(event.loss)} ${formatCount(event.samplesPerSecond)} samples/s ` +
    `ETA ${formatDuration(event.etaSeconds)}`;
  return line.slice(0, Math.max(width - 1, 10));
}

/**
 * Units of the loss terms that have one: a compressive model's `rate` is the length of an
 * image's latents in bits, measured during training with noise in place of rounding.
 */
const TERM_UNITS: Record<string, string> = { rate: ' bits' };

/** The summary line of an epoch. */
export function epochLine(record: EpochRecord, epochs: number): string {
  const terms = Object.entries(record.train.terms);
  const parts =
    terms.length > 1
      ? terms.map(([name, v]) => `${name} ${formatNumber(v)}${TERM_UNITS[name] ?? ''}`)
      : [];
  let line = `epoch ${record.epoch + 1}/${epochs}  loss ${formatNumber(record.train.loss)}`;
  if (parts.length > 0) line += ` (${parts.join(', ')})`;
  if (record.validation) line += `  validation ${formatNumber(record.validation.loss)}`;
  line +=
    `  lr ${formatNumber(record.learningRate)}  ` +
    `${formatCount(record.samplesPerSecond)} samples/s  ${formatSeconds(record.seconds)}`;
  return line;
}

/**
 * Turns trainer events into output. `mode` 'json' writes each event to `out`; 'bar' draws
 * a bar on `err` (a terminal); 'lines' writes one line per epoch to `err`.
 */
export class TrainingProgress {
  private epochs = 0;
  private drawn = false;
  private lastDraw = 0;

  constructor(
    readonly mode: ProgressMode,
    private readonly out: ProgressStream,
    private readonly err: ProgressStream,
  ) {}

  /** The mode for the given `--json` flag and stderr. */
  static modeFor(json: boolean, err: ProgressStream): ProgressMode {
    return json ? 'json' : err.isTTY ? 'bar' : 'lines';
  }

  /** Handles one event; pass it as the trainer's `onEvent`. */
  onEvent(event: TrainEvent): void {
    if (event.type === 'start') this.epochs = event.epochs;
    if (this.mode === 'json') {
      this.out.write(JSON.stringify(event) + '\n');
      return;
    }
    switch (event.type) {
      case 'start': {
        const resumed = event.resumedAt > 0 ? `, resuming after epoch ${event.resumedAt}` : '';
        this.line(
          `training on ${plural(event.samples, 'sample')}, ${plural(event.batchesPerEpoch, 'batch', 'batches')} ` +
            `per epoch, ${plural(event.epochs, 'epoch')}${resumed}`,
        );
        break;
      }
      case 'batch': {
        if (this.mode !== 'bar') break;
        const now = Date.now();
        if (event.batch !== event.batches && now - this.lastDraw < REDRAW_MS) break;
        this.lastDraw = now;
        this.err.write(`\r${barLine(event, this.epochs, this.err.columns || 80)}\x1b[K`);
        this.drawn = true;
        break;
      }
      case 'epoch':
        this.line(epochLine(event.record, this.epochs));
        break;
      case 'warning':
        this.line(`warning: ${event.message}`);
        break;
      case 'checkpoint':
      case 'stop':
        break;
    }
  }

  /** Writes a line to stderr, first clearing a bar that is drawn. */
  line(text: string): void {
    this.clear();
    this.err.write(`${text}\n`);
  }

  /** Clears a drawn bar, leaving the cursor at the start of an empty line. */
  clear(): void {
    if (!this.drawn) return;
    this.err.write('\r\x1b[K');
    this.drawn = false;
  }
}
