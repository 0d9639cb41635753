/**
 * The base class of every layer and model, as PyTorch's `torch.nn.Module`: a module owns
 * parameters (leaf tensors that require grad), buffers (state such as running statistics)
 * and child modules, each under a name. Dotted names (`encoder.0.weight`) and the key order
 * of {@link Module.stateDict} are PyTorch's, so state dicts move between the two.
 */
import {
  AekitError,
  DType,
  Device,
  Generator,
  Tensor,
  checkType,
  describe,
  isDType,
  isFloating,
  keep,
  noGrad,
  zeros,
} from '../engine/index.js';
import { shapeText } from './checks.js';

/** Options shared by every layer that creates parameters. */
export interface ParameterOptions {
  /** The random stream for the initial values. Default: the global generator. */
  generator?: Generator;
  /** Element type of the parameters. Default: 'float32'. */
  dtype?: DType;
  /** Where the parameters live. Default: 'cpu'. */
  device?: Device;
}

/** Options of {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /**
   * Whether the keys must match the module's exactly; when false, missing and unexpected
   * keys are returned instead of raised. Shapes must match either way. Default: true.
   */
  strict?: boolean;
}

/** What {@link Module.loadStateDict} did not match (both empty when `strict` is true). */
export interface LoadStateDictResult {
  /** Keys of the module that the state dict lacks; those values were left as they were. */
  missingKeys: string[];
  /** Keys of the state dict that the module does not have; they were ignored. */
  unexpectedKeys: string[];
}

interface BufferEntry {
  tensor: Tensor;
  persistent: boolean;
}

/**
 * The base of layers and models. Subclasses register their parameters, buffers and
 * children in the constructor and define `forward` with their own signature.
 *
 * @example
 * class Autoencoder extends Module {
 *   readonly encoder = this.registerModule('encoder', new Sequential(new Linear(784, 32)));
 *   readonly decoder = this.registerModule('decoder', new Sequential(new Linear(32, 784)));
 *   forward(x: Tensor): Tensor {
 *     return tidy(() => this.decoder.forward(this.encoder.forward(x)));
 *   }
 * }
 */
export abstract class Module {
  /** Whether the module is in training mode; set with {@link train} and {@link eval}. */
  training = true;

  private readonly ownParameters = new Map<string, Tensor>();
  private readonly ownBuffers = new Map<string, BufferEntry>();
  private readonly ownChildren = new Map<string, Module>();
  private disposedFlag = false;

  /** Runs the module. Each subclass defines its own arguments and result. */
  abstract forward(...inputs: unknown[]): unknown;

  // ---- registration ----------------------------------------------------------------

  /**
   * Registers `tensor` as a parameter under `name` and returns it. The tensor is made to
   * require grad and is taken out of every `tidy()` scope, so it lives until
   * {@link dispose}. It must be a floating-point leaf tensor.
   */
  registerParameter(name: string, tensor: Tensor): Tensor {
    this.checkName(name, 'registerParameter');
    const what = `registerParameter: '${name}'`;
    checkType(tensor instanceof Tensor && !tensor.isDisposed, what, 'a Tensor', tensor);
    if (!isFloating(tensor.dtype)) {
      throw new TypeError(`${what}: expected a floating-point tensor, got ${tensor.dtype}`);
    }
    if (!tensor.isLeaf) {
      throw new AekitError(
        'BAD_INPUT',
        `${what}: expected a leaf tensor, got one computed from tensors that require grad ` +
          '(pass tensor.detach())',
      );
    }
    if (!tensor.requiresGrad) tensor.requiresGrad = true;
    this.ownParameters.set(name, keep(tensor));
    return tensor;
  }

  /**
   * Registers `tensor` as a buffer (state that is not trained) under `name` and returns it.
   * A persistent buffer is part of {@link stateDict}. The tensor lives until
   * {@link dispose}.
   */
  registerBuffer(name: string, tensor: Tensor, persistent = true): Tensor {
    this.checkName(name, 'registerBuffer');
    const what = `registerBuffer: '${name}'`;
    checkType(tensor instanceof Tensor && !tensor.isDisposed, what, 'a Tensor', tensor);
    checkType(typeof persistent === 'boolean', `${what}: persistent`, 'a boolean', persistent);
    this.ownBuffers.set(name, { tensor: keep(tensor), persistent });
    return tensor;
  }

  /** Registers `module` as a child under `name` and returns it. */
  registerModule<M extends Module>(name: string, module: M): M {
    this.checkName(name, 'registerModule');
    checkType(module instanceof Module, `registerModule: '${name}'`, 'a Module', module);
    this.ownChildren.set(name, module);
    return module;
  }

  private checkName(name: unknown, what: string): void {
    checkType(typeof name === 'string', `${what}: name`, 'a string', name);
    const text = name as string;
    if (text === '' || text.includes('.')) {
      throw new AekitError(
        'BAD_INPUT',
        `${what}: name: expected a non-empty name without '.', got ${describe(name)}`,
      );
    }
    const kind = this.ownParameters.has(text)
      ? 'a parameter'
      : this.ownBuffers.has(text)
        ? 'a buffer'
        : this.ownChildren.has(text)
          ? 'a child module'
          : null;
    if (kind !== null) {
      throw new AekitError(
        'BAD_INPUT',
        `${what}: name '${text}' is already used by ${kind} of ${this.constructor.name}`,
      );
    }
  }

  // ---- traversal -------------------------------------------------------------------

  /** The direct children with their names, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.ownChildren];
  }

  /** The direct children, in registration order. */
  children(): Module[] {
    return [...this.ownChildren.values()];
  }

  /**
   * This module and every module below it with dotted names (this one is `''`), depth
   * first in registration order. A module reachable twice is listed once.
   */
  namedModules(): [string, Module][] {
    const seen = new Set<Module>();
    const out: [string, Module][] = [];
    const visit = (prefix: string, module: Module): void => {
      if (seen.has(module)) return;
      seen.add(module);
      out.push([prefix, module]);
      for (const [name, child] of module.ownChildren) {
        visit(prefix === '' ? name : `${prefix}.${name}`, child);
      }
    };
    visit('', this);
    return out;
  }

  /** This module and every module below it, depth first. */
  modules(): Module[] {
    return this.namedModules().map(([, module]) => module);
  }

  /**
   * Every parameter with its dotted name (`encoder.0.weight`), in PyTorch's order. A
   * parameter shared by two modules is listed once, under its first name.
   */
  namedParameters(): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [prefix, module] of this.namedModules()) {
      for (const [name, tensor] of module.ownParameters) {
        if (seen.has(tensor)) continue;
        seen.add(tensor);
        out.push([prefix === '' ? name : `${prefix}.${name}`, tensor]);
      }
    }
    return out;
  }

  /** Every parameter (the tensors themselves, for optimizers). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, tensor]) => tensor);
  }

  /** Every buffer with its dotted name, persistent or not, in PyTorch's order. */
  namedBuffers(): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [prefix, module] of this.namedModules()) {
      for (const [name, { tensor }] of module.ownBuffers) {
        if (seen.has(tensor)) continue;
        seen.add(tensor);
        out.push([prefix === '' ? name : `${prefix}.${name}`, tensor]);
      }
    }
    return out;
  }

  /** Every buffer (the tensors themselves). */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, tensor]) => tensor);
  }

  /** The number of parameter elements (each shared parameter counted once). */
  numParameters(): number {
    return this.parameters().reduce((total, tensor) => total + tensor.numel, 0);
  }

  // ---- modes and gradients ---------------------------------------------------------

  /** Sets training mode (or evaluation mode when `mode` is false) on every module below. */
  train(mode = true): this {
    checkType(typeof mode === 'boolean', 'train: mode', 'a boolean', mode);
    for (const module of this.modules()) module.training = mode;
    return this;
  }

  /** Sets evaluation mode: dropout off, batch norm on its running statistics. */
  eval(): this {
    return this.train(false);
  }

  // ---- dtype and device ------------------------------------------------------------

  /**
   * Converts every floating-point parameter and buffer to a floating `dtype`, or moves every
   * parameter and buffer to a `device`, in place, as PyTorch's `module.to()`; gradients
   * follow their parameters. The
   * tensors keep their identity, so references held by layers stay valid; make the
   * optimizer after moving, as in PyTorch. Every tensor is converted before any is
   * changed, so a failure (a device this libtorch lacks) leaves the module as it was.
   *
   * @example
   * const model = new Linear(784, 32).to('float64');
   */
  to(target: DType | Device): this {
    const isDtype = isDType(target);
    if (isDtype && !isFloating(target as DType)) {
      throw new TypeError(`Module.to: expected a floating-point dtype or a device, got ${target}`);
    }
    const tensors = new Set<Tensor>([...this.parameters(), ...this.buffers()]);
    const changes: [Tensor, Tensor][] = [];
    const grads: [Tensor, Tensor][] = [];
    try {
      noGrad(() => {
        for (const tensor of tensors) {
          if (isDtype && !isFloating(tensor.dtype)) continue;
          changes.push([tensor, tensor.to(target)]);
          const grad = tensor.grad;
          if (grad === null) continue;
          try {
            grads.push([tensor, grad.to(target)]);
          } finally {
            grad.dispose();
          }
        }
      });
      for (const [tensor, converted] of changes) tensor.setData_(converted);
      for (const [tensor, grad] of grads) tensor.grad = grad;
    } finally {
      for (const [, converted] of [...changes, ...grads]) converted.dispose();
    }
    return this;
  }

  /** Drops the gradient of every parameter (sets it to null, as PyTorch does by default). */
  zeroGrad(): void {
    for (const tensor of this.parameters()) tensor.grad = null;
  }

  // ---- state dicts -----------------------------------------------------------------

  /** The state dict's entries: the live tensors, in PyTorch's order (unshared modules). */
  private stateEntries(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const visit = (prefix: string, module: Module): void => {
      for (const [name, tensor] of module.ownParameters) out.push([prefix + name, tensor]);
      for (const [name, entry] of module.ownBuffers) {
        if (entry.persistent) out.push([prefix + name, entry.tensor]);
      }
      for (const [name, child] of module.ownChildren) visit(`${prefix}${name}.`, child);
    };
    visit('', this);
    return out;
  }

  /**
   * Parameters and persistent buffers by dotted name, with PyTorch's keys and key order
   * (for BatchNorm: weight, bias, running_mean, running_var, num_batches_tracked). The
   * values are detached tensors sharing memory with the module: the caller owns these
   * handles (dispose them, or call inside `tidy()`), and freeing them leaves the module
   * intact.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [key, tensor] of this.stateEntries()) out[key] = tensor.detach();
    return out;
  }

  /**
   * Copies values from a state dict (as {@link stateDict} returns, or read from a PyTorch
   * checkpoint) into this module's parameters and buffers, without recording gradients.
   * Everything is checked before anything is copied, so a failed load changes nothing.
   *
   * @throws AekitError with code 'STATE_DICT' naming the missing keys, the unexpected keys
   *   (both only when `strict`) and every shape mismatch with both shapes.
   */
  loadStateDict(
    stateDict: Record<string, Tensor> | Map<string, Tensor>,
    options: LoadStateDictOptions = {},
  ): LoadStateDictResult {
    const isRecord = typeof stateDict === 'object' && stateDict !== null;
    checkType(isRecord, 'loadStateDict: stateDict', 'an object of tensors', stateDict);
    const strict = options.strict ?? true;
    checkType(typeof strict === 'boolean', 'loadStateDict: strict', 'a boolean', strict);
    const given = new Map(stateDict instanceof Map ? stateDict : Object.entries(stateDict));
    for (const [key, value] of given) {
      const ok = value instanceof Tensor && !value.isDisposed;
      checkType(ok, `loadStateDict: '${key}'`, 'a Tensor (not disposed)', value);
    }

    // Match keys and shapes first.
    const entries = this.stateEntries();
    const own = new Set(entries.map(([key]) => key));
    const missingKeys = entries.map(([key]) => key).filter((key) => !given.has(key));
    const unexpectedKeys = [...given.keys()].filter((key) => !own.has(key));
    const problems: string[] = [];
    if (strict && missingKeys.length > 0) problems.push(`missing keys ${quoted(missingKeys)}`);
    if (strict && unexpectedKeys.length > 0) {
      problems.push(`unexpected keys ${quoted(unexpectedKeys)}`);
    }
    for (const [key, tensor] of entries) {
      const value = given.get(key);
      if (value === undefined) continue;
      const [expected, received] = [tensor.shape, value.shape];
      if (!sameShape(expected, received)) {
        problems.push(
          `shape mismatch for '${key}': the module has ${shapeText(expected)}, ` +
            `the state dict has ${shapeText(received)}`,
        );
      }
    }
    if (problems.length > 0) {
      throw new AekitError(
        'STATE_DICT',
        `loadStateDict (${this.constructor.name}): ${problems.join('; ')}`,
      );
    }

    // Then copy.
    noGrad(() => {
      for (const [key, tensor] of entries) {
        const value = given.get(key);
        if (value !== undefined) tensor.copy_(value);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- freeing ---------------------------------------------------------------------

  /** Whether {@link dispose} has run. */
  get isDisposed(): boolean {
    return this.disposedFlag;
  }

  /** Frees every parameter and buffer of this module and the modules below it. Idempotent. */
  dispose(): void {
    for (const module of this.modules()) {
      if (module.disposedFlag) continue;
      module.disposedFlag = true;
      for (const tensor of module.ownParameters.values()) tensor.dispose();
      for (const { tensor } of module.ownBuffers.values()) tensor.dispose();
    }
  }
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

function quoted(keys: string[]): string {
  return keys.map((key) => `'${key}'`).join(', ');
}

/** A new zero tensor for a parameter or buffer, with the options' dtype and device. */
export function newTensor(shape: number[], options: ParameterOptions = {}): Tensor {
  return zeros(shape, { dtype: options.dtype ?? 'float32', device: options.device ?? 'cpu' });
}
