/**
 * Sequence autoencoders for windows of a time series, [batch, channels, window] (the data
 * layer's window layout, as for Conv1d): an LSTM
 * encoder-decoder (the encoder's last hidden state is mapped to the code; the decoder
 * reads the code at every step), or 1-D convolutions over time with stride-2 stages.
 */
import { Tensor } from '../engine/index.js';
import {
  Conv1d,
  ConvTranspose1d,
  Flatten,
  LSTM,
  Linear,
  Sequential,
  Unflatten,
} from '../nn/index.js';
import { Autoencoder, LossContext, LossTerms, reconstructionTerm } from './autoencoder.js';
import { SequenceConfig } from './config.js';
import { activation } from './layers.js';

export class SequenceAutoencoder extends Autoencoder {
  readonly config: Required<SequenceConfig>;
  private readonly parts: LstmParts | ConvParts;

  constructor(config: Required<SequenceConfig>) {
    super();
    this.config = config;
    const [features, window] = config.inputShape;
    if (config.kind === 'lstm') {
      const hidden = config.hidden;
      this.parts = {
        kind: 'lstm',
        encoder: this.registerModule('encoder', new LSTM(features, hidden)),
        toCode: this.registerModule('to_code', new Linear(hidden, config.latentDim)),
        fromCode: this.registerModule('from_code', new Linear(config.latentDim, hidden)),
        decoder: this.registerModule('decoder', new LSTM(hidden, hidden)),
        toOutput: this.registerModule('to_output', new Linear(hidden, features)),
      };
    } else {
      const stages = config.channels.length;
      const padded = Math.ceil(window / 2 ** stages) * 2 ** stages;
      const length = padded / 2 ** stages;
      const last = config.channels[stages - 1];
      const encoder = new Sequential();
      let inChannels = features;
      for (const out of config.channels) {
        encoder.append(new Conv1d(inChannels, out, 3, { stride: 2, padding: 1 }));
        encoder.append(activation(config.activation));
        inChannels = out;
      }
      encoder.append(new Flatten()).append(new Linear(last * length, config.latentDim));
      const decoder = new Sequential(new Linear(config.latentDim, last * length));
      decoder.append(activation(config.activation)).append(new Unflatten(1, [last, length]));
      const reversed = [...config.channels].reverse();
      for (let i = 0; i < stages; i++) {
        const out = reversed[i + 1] ?? reversed[stages - 1];
        decoder.append(
          new ConvTranspose1d(reversed[i], out, 3, { stride: 2, padding: 1, outputPadding: 1 }),
        );
        decoder.append(activation(config.activation));
      }
      decoder.append(new Conv1d(config.channels[0], features, 3, { padding: 1 }));
      this.parts = {
        kind: 'conv1d',
        padded,
        encoder: this.registerModule('encoder', encoder),
        decoder: this.registerModule('decoder', decoder),
      };
    }
  }

  encode(x: Tensor): Tensor {
    const parts = this.parts;
    if (parts.kind === 'lstm') {
      const { h } = parts.encoder.forward(x.transpose(1, 2)); // h: [1, batch, hidden]
      return parts.toCode.forward(h.squeeze(0)); // [batch, latentDim]
    }
    const window = this.config.inputShape[1];
    return parts.encoder.forward(x.pad([0, parts.padded - window])); // [batch, latentDim]
  }

  decodeRaw(z: Tensor): Tensor {
    const parts = this.parts;
    const window = this.config.inputShape[1];
    if (parts.kind === 'lstm') {
      const start = parts.fromCode.forward(z).relu(); // [batch, hidden]
      const steps = start.unsqueeze(1).expand(-1, window, -1); // [batch, window, hidden]
      const out = parts.toOutput.forward(parts.decoder.forward(steps).output); // [b, window, f]
      return out.transpose(1, 2); // [batch, features, window]
    }
    return parts.decoder.forward(z).narrow(2, 0, window); // [batch, features, window]
  }

  lossTerms(x: Tensor, target: Tensor, _context: LossContext): LossTerms {
    const raw = this.decodeRaw(this.encode(x));
    const reconstruction = reconstructionTerm(raw, target, this.config.likelihood);
    return { loss: reconstruction.mean(), terms: { reconstruction } };
  }
}

interface LstmParts {
  kind: 'lstm';
  encoder: LSTM;
  toCode: Linear;
  fromCode: Linear;
  decoder: LSTM;
  toOutput: Linear;
}

interface ConvParts {
  kind: 'conv1d';
  padded: number;
  encoder: Sequential;
  decoder: Sequential;
}
