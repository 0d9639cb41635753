/**
 * Recurrent layers: LSTM and GRU over sequences, stacked and optionally bidirectional,
 * with PyTorch's parameter names (`weight_ih_l0`, `bias_hh_l1_reverse`, ...).
 *
 * Unlike PyTorch, `batchFirst` defaults to true: aekit's sequences are [batch, seq,
 * features] everywhere, so that is the layout these layers expect unless told otherwise.
 * The final states are [numLayers * directions, batch, hidden] in either layout.
 */
import { AekitError, Device, F, Tensor, checkInteger, checkType, zeros } from '../engine/index.js';
import {
  checkBoolean,
  checkDimSize,
  checkInput,
  checkOptions,
  checkProbability,
  shapeText,
} from './checks.js';
import { uniform } from './init.js';
import { Module, ParameterOptions, newTensor } from './module.js';

/** Options of {@link LSTM} and {@link GRU}. */
export interface RNNOptions extends ParameterOptions {
  /** Recurrent layers stacked, each reading the previous one's outputs. Default: 1. */
  numLayers?: number;
  /** Whether the gates have biases (b_ih and b_hh). Default: true. */
  bias?: boolean;
  /**
   * Whether inputs and outputs are [batch, seq, features]; false means [seq, batch,
   * features]. Default: true (PyTorch's default is false).
   */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of every layer but the last, in training. Default: 0. */
  dropout?: number;
  /** Whether each layer also runs backwards, doubling the output features. Default: false. */
  bidirectional?: boolean;
}

/** Options of {@link LSTM}. */
export type LSTMOptions = RNNOptions;
/** Options of {@link GRU}. */
export type GRUOptions = RNNOptions;

/** What LSTM and GRU share: options, parameters and input checks. */
export abstract class RNNBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** Every weight in PyTorch's order: per layer, per direction, w_ih, w_hh, b_ih, b_hh. */
  protected readonly flatWeights: Tensor[] = [];

  protected constructor(
    gates: number,
    inputSize: number,
    hiddenSize: number,
    options: RNNOptions | undefined,
  ) {
    super();
    const name = this.constructor.name;
    const o = checkOptions(options, `${name}: options`);
    this.inputSize = checkInteger(inputSize, `${name}: inputSize`, 1);
    this.hiddenSize = checkInteger(hiddenSize, `${name}: hiddenSize`, 1);
    this.numLayers = checkInteger(o.numLayers ?? 1, `${name}: numLayers`, 1);
    this.bias = checkBoolean(o.bias, `${name}: bias`, true);
    this.batchFirst = checkBoolean(o.batchFirst, `${name}: batchFirst`, true);
    this.dropout = checkProbability(o.dropout ?? 0, `${name}: dropout`);
    this.bidirectional = checkBoolean(o.bidirectional, `${name}: bidirectional`, false);

    // Every weight and bias from U(-1/sqrt(hidden), 1/sqrt(hidden)), in registration order.
    const bound = 1 / Math.sqrt(this.hiddenSize);
    const gateSize = gates * this.hiddenSize;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const layerInput = layer === 0 ? this.inputSize : this.hiddenSize * this.directions;
      for (let direction = 0; direction < this.directions; direction++) {
        const suffix = `_l${layer}${direction === 1 ? '_reverse' : ''}`;
        const shapes: [string, number[]][] = [
          ['weight_ih', [gateSize, layerInput]],
          ['weight_hh', [gateSize, this.hiddenSize]],
        ];
        if (this.bias) shapes.push(['bias_ih', [gateSize]], ['bias_hh', [gateSize]]);
        for (const [kind, shape] of shapes) {
          const tensor = uniform(newTensor(shape, o), -bound, bound, o.generator);
          this.flatWeights.push(this.registerParameter(kind + suffix, tensor));
        }
      }
    }
  }

  /** 2 when bidirectional, else 1. */
  get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** Checks the input; returns whether it is unbatched ([seq, features]) and the batch size. */
  protected checkSequence(input: Tensor): { unbatched: boolean; batch: number } {
    const name = this.constructor.name;
    const layout = this.batchFirst
      ? 'a 3-D [batch, seq, features] or 2-D [seq, features] tensor'
      : 'a 3-D [seq, batch, features] or 2-D [seq, features] tensor';
    const shape = checkInput(name, input, [2, 3], layout);
    checkDimSize(name, shape, -1, this.inputSize, 'features');
    if (shape.length === 2) return { unbatched: true, batch: 1 };
    return { unbatched: false, batch: shape[this.batchFirst ? 0 : 1] };
  }

  /**
   * Checks a given initial state: [layers * directions, batch, hidden], without the batch
   * dim for unbatched input.
   */
  protected checkState(
    state: Tensor | undefined,
    what: string,
    unbatched: boolean,
    batch: number,
  ): void {
    if (state === undefined) return;
    const name = `${this.constructor.name} ${what}`;
    const full = [this.numLayers * this.directions, batch, this.hiddenSize];
    const wanted = unbatched ? [full[0], full[2]] : full;
    checkType(state instanceof Tensor, name, 'a Tensor', state);
    const shape = state.shape;
    if (shape.length !== wanted.length || shape.some((size, i) => size !== wanted[i])) {
      throw new AekitError(
        'SHAPE',
        `${name}: expected shape ${shapeText(wanted)}, got ${shapeText(shape)}`,
      );
    }
  }

  /** The state as 3-D (batched) tensor, or zeros like `input` when none was given. */
  protected batchedState(
    state: Tensor | undefined,
    input: Tensor,
    unbatched: boolean,
    batch: number,
  ): Tensor {
    if (state !== undefined) return unbatched ? state.unsqueeze(1) : state;
    const shape = [this.numLayers * this.directions, batch, this.hiddenSize];
    return zeros(shape, { dtype: input.dtype, device: input.device as Device });
  }

  protected flags(): F.RecurrentOptions {
    return {
      numLayers: this.numLayers,
      hasBiases: this.bias,
      dropout: this.dropout,
      training: this.training,
      bidirectional: this.bidirectional,
      batchFirst: this.batchFirst,
    };
  }
}

/** Frees the tensors in `made` that are not among `given`. */
function disposeMade(made: Tensor[], given: (Tensor | undefined)[]): void {
  for (const tensor of made) if (!given.includes(tensor)) tensor.dispose();
}

/** What {@link LSTM.forward} returns. */
export interface LSTMOutput {
  /** [batch, seq, directions * hidden] (or [seq, batch, ...] when not batch first). */
  output: Tensor;
  /** Final hidden state: [numLayers * directions, batch, hidden]. */
  h: Tensor;
  /** Final cell state: [numLayers * directions, batch, hidden]. */
  c: Tensor;
}

/**
 * Long short-term memory (Hochreiter & Schmidhuber, 1997), with PyTorch's gate order
 * (input, forget, cell, output) in `weight_ih_l*` [4 hidden, in] and `weight_hh_l*`.
 *
 * @example
 * const lstm = new LSTM(8, 32, { numLayers: 2 });
 * const { output, h } = lstm.forward(x); // x [batch, seq, 8] -> output [batch, seq, 32]
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options?: LSTMOptions) {
    super(4, inputSize, hiddenSize, options);
  }

  /** Runs the sequence from `state` (zeros when not given); h and c as in {@link LSTMOutput}. */
  forward(input: Tensor, state?: { h: Tensor; c: Tensor }): LSTMOutput {
    const { unbatched, batch } = this.checkSequence(input);
    this.checkState(state?.h, 'state h', unbatched, batch);
    this.checkState(state?.c, 'state c', unbatched, batch);
    const x = unbatched ? input.unsqueeze(this.batchFirst ? 0 : 1) : input;
    const h0 = this.batchedState(state?.h, input, unbatched, batch);
    const c0 = this.batchedState(state?.c, input, unbatched, batch);
    const result = F.lstm(x, [h0, c0], this.flatWeights, this.flags());
    disposeMade([x, h0, c0], [input, state?.h, state?.c]);
    if (!unbatched) return result;
    const out = {
      output: result.output.squeeze(this.batchFirst ? 0 : 1),
      h: result.h.squeeze(1),
      c: result.c.squeeze(1),
    };
    disposeMade([result.output, result.h, result.c], []);
    return out;
  }
}

/** What {@link GRU.forward} returns. */
export interface GRUOutput {
  /** [batch, seq, directions * hidden] (or [seq, batch, ...] when not batch first). */
  output: Tensor;
  /** Final hidden state: [numLayers * directions, batch, hidden]. */
  h: Tensor;
}

/**
 * Gated recurrent unit (Cho et al., 2014), with PyTorch's gate order (reset, update, new)
 * in `weight_ih_l*` [3 hidden, in] and `weight_hh_l*`.
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options?: GRUOptions) {
    super(3, inputSize, hiddenSize, options);
  }

  /** Runs the sequence from hidden state `h` (zeros when not given). */
  forward(input: Tensor, h?: Tensor): GRUOutput {
    const { unbatched, batch } = this.checkSequence(input);
    this.checkState(h, 'state h', unbatched, batch);
    const x = unbatched ? input.unsqueeze(this.batchFirst ? 0 : 1) : input;
    const h0 = this.batchedState(h, input, unbatched, batch);
    const result = F.gru(x, h0, this.flatWeights, this.flags());
    disposeMade([x, h0], [input, h]);
    if (!unbatched) return result;
    const out = {
      output: result.output.squeeze(this.batchFirst ? 0 : 1),
      h: result.h.squeeze(1),
    };
    disposeMade([result.output, result.h], []);
    return out;
  }
}
