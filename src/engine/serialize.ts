/**
 * Saving and loading values in PyTorch's own file format, so that checkpoints move both ways:
 * Python's `torch.load` opens what {@link saveFile} writes, and {@link loadFile} opens what
 * Python's `torch.save` writes (a model's `state_dict()`, an optimizer's, nested values).
 *
 * Saving goes through libtorch's pickler in the addon. Loading is done here in TypeScript
 * (zip.ts reads the archive, unpickle.ts runs the pickle), because libtorch's own reader
 * turns Python's `collections.OrderedDict`, which every state dict is, into None. The loader
 * runs no code from the file: a pickle may reach only the handful of PyTorch functions that
 * rebuild tensors and containers, and anything else is refused by name.
 *
 * @example
 * saveFile('model.pt', { weight: w, bias: b });   // torch.load('model.pt') in Python
 * const state = loadFile('model.pt') as Record<string, Tensor>;
 */
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { AekitError, checkType, invalid } from './errors.js';
import { DType, itemSize, scalarTypeOf } from './dtype.js';
import { NativeValue, TensorHandle, native } from './native.js';
import { callOp, nativeCall } from './op.js';
import { OPS } from './ops.js';
import { Tensor, wrap } from './tensor.js';
import { PickleError, PyCallable, PyDict, PyTuple, describeValue, unpickle } from './unpickle.js';
import { ZipArchive, badFile, quoted } from './zip.js';

/** A value that can be saved and loaded: tensors and JSON-like containers of them. */
export type SavedValue =
  Tensor | number | string | boolean | null | SavedValue[] | SavedMap | SavedObject;

/** A dict with string keys, as a plain object (insertion order is kept). */
export interface SavedObject {
  [key: string]: SavedValue;
}

/** A dict with integer keys (an optimizer's `state`), or with keys of mixed kinds. */
export type SavedMap = Map<number | string, SavedValue>;

/** Options for {@link loadValue}. */
export interface LoadOptions {
  /** What the bytes are, for error messages (a path, say). Default: '<bytes>'. */
  source?: string;
}

/** How deep containers may nest, in saved values and in files. */
const MAX_DEPTH = 200;

// ---- saving ----------------------------------------------------------------------------

const SAVEABLE = 'a Tensor, number, string, boolean, null, array, Map or plain object';

/**
 * The bytes of `value` in PyTorch's zip format, which Python's `torch.load` reads.
 *
 * Tensors are saved as detached CPU tensors, copied only when they are on another device or
 * not contiguous. Plain objects become Python dicts with str keys, Maps dicts with int keys
 * (all keys integers) or str keys (all strings), arrays lists. A number that is an integer
 * becomes a Python int, any other a float.
 *
 * Limitation: a tensor that is a view of a larger one is saved with all of the larger
 * one's values, as `torch.save` does; `clone()` it first to save only its own.
 *
 * @throws TypeError naming the path of a value that cannot be saved, or a cycle.
 */
export function saveValue(value: SavedValue): Buffer {
  const temporaries: Tensor[] = [];
  try {
    const prepared = toNative(value, 'value', [], temporaries);
    return nativeCall(() => native().pickleSave(prepared));
  } finally {
    for (const tensor of temporaries) tensor.dispose();
  }
}

function toNative(
  value: unknown,
  path: string,
  ancestors: object[],
  temporaries: Tensor[],
): NativeValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return value;
  if (value instanceof Tensor) return savedTensor(value, path, temporaries);
  if (typeof value !== 'object') throw new TypeError(invalid(path, SAVEABLE, value));

  if (ancestors.includes(value)) throw new TypeError(`${path}: the value contains itself`);
  if (ancestors.length >= MAX_DEPTH) {
    throw new RangeError(`${path}: expected values nested at most ${MAX_DEPTH} deep`);
  }
  const inner = [...ancestors, value];
  if (Array.isArray(value)) {
    return value.map((item, i) => toNative(item, `${path}[${i}]`, inner, temporaries));
  }
  if (value instanceof Map) return mapToNative(value, path, inner, temporaries);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(invalid(path, SAVEABLE, value));
  }
  const result: { [key: string]: NativeValue } = {};
  for (const key of Object.keys(value)) {
    // The addon reads an object with this key as a Map.
    if (key === '__aekitMapEntries') throw new TypeError(`${path}: the key ${key} is reserved`);
    const item = toNative((value as SavedObject)[key], `${path}.${key}`, inner, temporaries);
    Object.defineProperty(result, key, { value: item, enumerable: true, writable: true });
  }
  return result;
}

function mapToNative(
  map: Map<unknown, unknown>,
  path: string,
  ancestors: object[],
  temporaries: Tensor[],
): NativeValue {
  const keys = [...map.keys()];
  const allStrings = keys.every((key) => typeof key === 'string');
  const allIntegers = keys.every((key) => Number.isSafeInteger(key));
  if (!allStrings && !allIntegers) {
    const odd = keys.find((key) => typeof key !== 'string' && !Number.isSafeInteger(key));
    const expected = 'keys that are all integers or all strings';
    throw new TypeError(invalid(`${path}: Map key`, expected, odd ?? 'a mix of both'));
  }
  const entries: [NativeValue, NativeValue][] = [];
  for (const [key, item] of map) {
    const itemPath = `${path}.get(${JSON.stringify(key)})`;
    entries.push([key as string | number, toNative(item, itemPath, ancestors, temporaries)]);
  }
  return { __aekitMapEntries: entries };
}

function savedTensor(tensor: Tensor, path: string, temporaries: Tensor[]): TensorHandle {
  if (tensor.isDisposed) throw new AekitError('DISPOSED', `${path}: the tensor was disposed`);
  let saved = tensor.detach();
  temporaries.push(saved);
  if (saved.device !== 'cpu') {
    saved = saved.to('cpu');
    temporaries.push(saved);
  }
  saved = saved.contiguous();
  temporaries.push(saved);
  return saved.handle;
}

/**
 * Writes `bytes` to `path` atomically: into a temporary file in the same folder, flushed to
 * disk, then renamed over `path`. On any failure the temporary file is removed and a file
 * already at `path` is left as it was.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  checkType(typeof path === 'string' && path.length > 0, 'path', 'a file path', path);
  const target = resolve(path);
  const folder = dirname(target);
  const temporary = join(
    folder,
    `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  let fd: number | undefined;
  try {
    fd = openSync(temporary, 'wx', 0o644);
    let written = 0;
    while (written < bytes.length) {
      written += writeSync(fd, bytes, written, bytes.length - written);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, target);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temporary);
    } catch {
      // It was never made, or is already gone.
    }
    const reason = (error as Error).message;
    throw new AekitError('BAD_FILE', `${path}: cannot write the file (${reason})`, {
      cause: error,
    });
  }
  syncFolder(folder);
}

/** Flushes a folder's entries so a rename survives a crash; not every system allows it. */
function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // Windows and some file systems cannot fsync a folder; the rename has happened anyway.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Saves `value` to `path` in PyTorch's format (see {@link saveValue}), atomically (see
 * {@link writeFileAtomic}): a failure, in saving or writing, never damages an existing file.
 */
export function saveFile(path: string, value: SavedValue): void {
  checkType(typeof path === 'string' && path.length > 0, 'saveFile: path', 'a file path', path);
  writeFileAtomic(path, saveValue(value));
}

// ---- loading ---------------------------------------------------------------------------

/** The storage types a file may name, and the dtype of each. */
const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** Storage types PyTorch has and aekit does not, by the dtype they hold. */
const UNSUPPORTED_STORAGES: Record<string, string> = {
  CharStorage: 'int8',
  ShortStorage: 'int16',
  ComplexFloatStorage: 'complex64',
  ComplexDoubleStorage: 'complex128',
  QInt8Storage: 'qint8',
  QUInt8Storage: 'quint8',
  QInt32Storage: 'qint32',
  QUInt4x2Storage: 'quint4x2',
  QUInt2x4Storage: 'quint2x4',
  UntypedStorage: 'untyped bytes',
};

/** A storage type named by a GLOBAL such as `torch.FloatStorage`. */
class StorageType {
  get pythonKind(): string {
    return `the storage type ${this.name}`;
  }

  constructor(
    readonly name: string,
    readonly dtype: DType,
  ) {}
}

/** A storage the pickle refers to: one `data/<key>` entry of the archive. */
class StorageRef {
  readonly pythonKind = 'a storage';

  constructor(
    readonly key: string,
    readonly dtype: DType,
    /** Elements, as the pickle declares them. */
    readonly numel: number,
    /** The entry's bytes, at least `numel` elements long. */
    readonly bytes: Uint8Array,
  ) {}
}

/** A tensor as the pickle describes it: a strided window on a storage. */
class TensorSpec {
  readonly pythonKind = 'a tensor';

  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
    readonly requiresGrad: boolean,
  ) {}

  get numel(): number {
    return this.size.reduce((a, b) => a * b, 1);
  }

  /** Whether it is the whole storage, in row-major order. */
  coversStorage(): boolean {
    if (this.offset !== 0 || this.numel !== this.storage.numel) return false;
    let expected = 1;
    for (let d = this.size.length - 1; d >= 0; d--) {
      if (this.size[d] !== 1 && this.stride[d] !== expected) return false;
      expected *= this.size[d];
    }
    return true;
  }
}

/**
 * Reads a value from bytes in PyTorch's zip format: a file Python's `torch.save` wrote (a
 * state dict, an optimizer's state, nested dicts, lists and tuples of tensors and numbers)
 * or one that {@link saveValue} wrote.
 *
 * Tensors come back on the CPU with the dtype, shape and strides they were saved with;
 * tensors that shared a storage in the file share memory again. Dicts whose keys are all
 * strings become plain objects, in their order; other dicts become Maps. Tuples become
 * arrays. The `_metadata` that a state dict carries is dropped.
 *
 * @throws AekitError with code 'BAD_FILE', naming `options.source`, for anything malformed,
 *   truncated, compressed, or that refers to Python code outside aekit's allow-list.
 */
export function loadValue(bytes: Uint8Array, options: LoadOptions = {}): SavedValue {
  checkType(bytes instanceof Uint8Array, 'loadValue: bytes', 'a Buffer or Uint8Array', bytes);
  const source = options.source ?? '<bytes>';
  checkType(typeof source === 'string', 'loadValue: options.source', 'a string', source);
  const reader = new TorchFileReader(bytes, source);
  try {
    return reader.load();
  } catch (error) {
    reader.disposeAll();
    if (error instanceof AekitError && error.code === 'BAD_FILE') throw error;
    // A native refusal or a JavaScript limit on a value that passed the checks above.
    const reason = error instanceof Error ? error.message : String(error);
    throw badFile(source, `cannot be read (${reason.split('\n')[0]})`);
  } finally {
    reader.disposeBases();
  }
}

/**
 * Reads the file at `path` (see {@link loadValue}).
 *
 * Limitation: the whole file is read into memory first, so a file larger than Node's
 * largest Buffer (about 4 GiB) cannot be loaded.
 */
export function loadFile(path: string): SavedValue {
  checkType(typeof path === 'string' && path.length > 0, 'loadFile: path', 'a file path', path);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const reason = (error as Error).message;
    throw new AekitError('BAD_FILE', `${path}: cannot read the file (${reason})`, {
      cause: error,
    });
  }
  return loadValue(bytes, { source: path });
}

/** One load: the archive, the pickle's globals, and turning what it made into values. */
class TorchFileReader {
  private archive!: ZipArchive;
  /** The folder inside the archive, with its trailing slash ('archive/' from torch.save). */
  private prefix = '';
  private littleEndian = true;
  private readonly storages = new Map<string, StorageRef>();
  /** The tensors on each storage, to know which ones need a shared base. */
  private readonly users = new Map<StorageRef, Set<TensorSpec>>();
  /** Whole-storage tensors that views are made from; freed after the load. */
  private readonly bases = new Map<StorageRef, Tensor>();
  private readonly made: Tensor[] = [];
  private readonly converted = new Map<object, SavedValue>();
  private readonly converting = new Set<object>();

  constructor(
    private readonly bytes: Uint8Array,
    private readonly source: string,
  ) {}

  load(): SavedValue {
    this.archive = new ZipArchive(this.bytes, this.source);
    this.prefix = this.findPrefix();
    this.littleEndian = this.readByteOrder();
    const entry = `${this.prefix}data.pkl`;
    const raw = unpickle(this.archive.read(entry), {
      source: this.source,
      entry,
      globals: {
        find: (module, name) => this.findGlobal(module, name),
        persistentLoad: (pid) => this.persistentLoad(pid),
      },
    });
    this.countUsers(raw);
    return this.convert(raw, 0);
  }

  /** Frees the tensors made so far, when the load fails. */
  disposeAll(): void {
    for (const tensor of this.made) tensor.dispose();
  }

  /** Frees the shared bases; the views made from them keep the memory they use. */
  disposeBases(): void {
    for (const tensor of this.bases.values()) tensor.dispose();
  }

  private bad(what: string): AekitError {
    return badFile(this.source, what);
  }

  private findPrefix(): string {
    for (const name of this.archive.entries.keys()) {
      if (name === 'data.pkl') return '';
      const slash = name.indexOf('/');
      if (slash > 0 && name.slice(slash) === '/data.pkl') return name.slice(0, slash + 1);
    }
    const names = [...this.archive.entries.keys()];
    const listed = names.slice(0, 5).map(quoted).join(', ') + (names.length > 5 ? ', ...' : '');
    throw this.bad(
      `the archive has no data.pkl entry, so it is no torch.save file ` +
        `(entries: ${listed || 'none'})`,
    );
  }

  private readByteOrder(): boolean {
    const name = `${this.prefix}byteorder`;
    if (!this.archive.has(name)) return true;
    const order = new TextDecoder().decode(this.archive.read(name)).trim();
    if (order === 'little') return true;
    if (order === 'big') return false;
    throw this.bad(`the byteorder entry says ${quoted(order)}, expected "little" or "big"`);
  }

  // ---- the allow-list ------------------------------------------------------------------

  private findGlobal(module: string, name: string): unknown {
    if (module === 'collections' && name === 'OrderedDict') return ORDERED_DICT;
    if (module === 'torch._utils') {
      if (name === '_rebuild_tensor_v2') return this.rebuildTensor(name, 6, 7);
      if (name === '_rebuild_tensor') return this.rebuildTensor(name, 4, 4);
      if (name === '_rebuild_parameter') return this.rebuildParameter();
    }
    if (module === 'torch.jit._pickle') {
      if (name === 'restore_type_tag') return RESTORE_TYPE_TAG;
      if (LIST_BUILDERS.has(name)) return listBuilder(name);
    }
    if (module === 'torch' && name.endsWith('Storage')) {
      if (Object.hasOwn(STORAGE_DTYPES, name)) {
        return new StorageType(`torch.${name}`, STORAGE_DTYPES[name]);
      }
      const held = Object.hasOwn(UNSUPPORTED_STORAGES, name) ? UNSUPPORTED_STORAGES[name] : '';
      throw new PickleError(
        `unsupported dtype: the file holds a torch.${name}` +
          `${held ? ` (${held})` : ''}; aekit reads ${Object.values(STORAGE_DTYPES).join(', ')}`,
      );
    }
    if (module.startsWith('__torch__')) {
      throw new PickleError(
        'the file is a TorchScript module (torch.jit.save); aekit reads torch.save files, ' +
          'such as a state_dict()',
      );
    }
    return undefined;
  }

  /** BINPERSID: ('storage', storage type, key, location, numel) names one data entry. */
  private persistentLoad(pid: unknown): StorageRef {
    const items = pid instanceof PyTuple ? pid.items : [];
    const [tag, type, key, location, numel] = items;
    if (
      items.length !== 5 ||
      tag !== 'storage' ||
      !(type instanceof StorageType) ||
      typeof key !== 'string' ||
      typeof location !== 'string' ||
      !Number.isSafeInteger(numel) ||
      (numel as number) < 0
    ) {
      throw new PickleError(
        `a persistent id is ${describeValue(pid)}, expected ('storage', type, key, ` +
          'location, numel)',
      );
    }
    const known = this.storages.get(key);
    if (known) {
      if (known.dtype !== type.dtype) {
        throw new PickleError(
          `storage ${quoted(key)} is declared as both ${known.dtype} and ${type.dtype}`,
        );
      }
      return known;
    }

    // Limitation: tensors saved from a GPU ('cuda:0') load onto the CPU, as with
    // torch.load(map_location='cpu').
    const entry = `${this.prefix}data/${key}`;
    if (!this.archive.has(entry)) {
      throw new PickleError(`missing storage entry ${quoted(entry)} (the pickle refers to it)`);
    }
    const bytes = this.archive.read(entry);
    const needed = (numel as number) * itemSize(type.dtype);
    if (bytes.length < needed) {
      throw new PickleError(
        `storage ${quoted(entry)} is too short: ${numel} ${type.dtype} elements need ` +
          `${needed} bytes, the entry holds ${bytes.length}`,
      );
    }
    const storage = new StorageRef(key, type.dtype, numel as number, bytes);
    this.storages.set(key, storage);
    return storage;
  }

  /** `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`. */
  private rebuildTensor(name: string, least: number, most: number): PyCallable {
    return {
      name: `torch._utils.${name}`,
      call: (args) => {
        const what = `torch._utils.${name}`;
        if (args.length < least || args.length > most) {
          throw new PickleError(
            `${what} gets ${args.length} arguments, expected ${least} to ${most}`,
          );
        }
        const [storage, offset, size, stride] = args;
        const requiresGrad = args.length > 4 ? args[4] : false;
        if (!(storage instanceof StorageRef)) {
          throw new PickleError(`${what} gets ${describeValue(storage)} for its storage`);
        }
        if (typeof requiresGrad !== 'boolean') {
          throw new PickleError(`${what} gets ${describeValue(requiresGrad)} for requires_grad`);
        }
        const spec = new TensorSpec(
          storage,
          this.count(offset, `${what} offset`),
          this.sizes(size, `${what} size`),
          this.sizes(stride, `${what} stride`),
          requiresGrad,
        );
        this.checkFits(spec);
        return spec;
      },
    };
  }

  /** `_rebuild_parameter(data, requires_grad, backward_hooks)`. */
  private rebuildParameter(): PyCallable {
    const name = 'torch._utils._rebuild_parameter';
    return {
      name,
      call: (args) => {
        const [data, requiresGrad] = args;
        if (
          args.length !== 3 ||
          !(data instanceof TensorSpec) ||
          typeof requiresGrad !== 'boolean'
        ) {
          throw new PickleError(
            `${name} gets arguments that are not (tensor, requires_grad, hooks)`,
          );
        }
        return new TensorSpec(data.storage, data.offset, data.size, data.stride, requiresGrad);
      },
    };
  }

  private count(value: unknown, what: string): number {
    if (Number.isSafeInteger(value) && (value as number) >= 0) return value as number;
    throw new PickleError(`${what} is ${describeValue(value)}, expected an integer >= 0`);
  }

  private sizes(value: unknown, what: string): number[] {
    const items = value instanceof PyTuple ? value.items : Array.isArray(value) ? value : null;
    if (items === null)
      throw new PickleError(`${what} is ${describeValue(value)}, expected a tuple`);
    return items.map((item, i) => this.count(item, `${what}[${i}]`));
  }

  /** The tensor must lie inside its storage: the last element it reaches included. */
  private checkFits(spec: TensorSpec): void {
    const { size, stride, offset, storage } = spec;
    const shape = `[${size.join(', ')}]`;
    if (size.length !== stride.length) {
      throw new PickleError(`a tensor has size ${shape} but stride [${stride.join(', ')}]`);
    }
    if (spec.numel > Number.MAX_SAFE_INTEGER) {
      throw new PickleError(`a tensor of size ${shape} has more elements than aekit can index`);
    }
    let last = offset;
    if (spec.numel > 0) {
      for (let d = 0; d < size.length; d++) last += (size[d] - 1) * stride[d];
      last += 1;
    }
    if (last > storage.numel || !Number.isSafeInteger(last)) {
      throw new PickleError(
        `storage too short for the tensor: a tensor of size ${shape}, stride ` +
          `[${stride.join(', ')}] at offset ${offset} reaches element ${last} of storage ` +
          `${quoted(storage.key)}, which holds ${storage.numel} ${storage.dtype} elements`,
      );
    }
  }

  // ---- from pickled objects to values --------------------------------------------------

  /** Finds the tensors the value holds, grouped by storage. */
  private countUsers(root: unknown): void {
    const seen = new Set<object>();
    const pending: unknown[] = [root];
    while (pending.length > 0) {
      const value = pending.pop();
      if (typeof value !== 'object' || value === null || seen.has(value)) continue;
      seen.add(value);
      if (value instanceof TensorSpec) {
        let users = this.users.get(value.storage);
        if (!users) this.users.set(value.storage, (users = new Set()));
        users.add(value);
      } else if (value instanceof PyTuple) {
        pending.push(...value.items);
      } else if (Array.isArray(value)) {
        pending.push(...value);
      } else if (value instanceof PyDict) {
        pending.push(...value.items.values());
      }
    }
  }

  private convert(value: unknown, depth: number): SavedValue {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'number') return value;
    if (typeof value !== 'object') throw this.bad(`the pickle holds ${describeValue(value)}`);

    const done = this.converted.get(value);
    if (done !== undefined) return done;
    if (this.converting.has(value)) throw this.bad('the pickle holds a value that contains itself');
    if (depth >= MAX_DEPTH) throw this.bad(`values are nested more than ${MAX_DEPTH} deep`);

    let result: SavedValue;
    this.converting.add(value);
    if (value instanceof TensorSpec) {
      result = this.tensorOf(value);
    } else if (value instanceof PyTuple || Array.isArray(value)) {
      const items: unknown[] = value instanceof PyTuple ? value.items : value;
      result = items.map((item) => this.convert(item, depth + 1));
    } else if (value instanceof PyDict) {
      result = this.dictOf(value, depth);
    } else {
      throw this.bad(`the pickle holds ${describeValue(value)} where a value belongs`);
    }
    this.converting.delete(value);
    this.converted.set(value, result);
    return result;
  }

  private dictOf(dict: PyDict, depth: number): SavedValue {
    const keys = [...dict.items.keys()];
    const intTagged = dict.typeTag !== undefined && dict.typeTag.startsWith('Dict[int');
    if (!intTagged && keys.every((key) => typeof key === 'string')) {
      const object: SavedObject = {};
      for (const [key, item] of dict.items) {
        // defineProperty: a key such as '__proto__' is data, never the object's prototype.
        Object.defineProperty(object, key as string, {
          value: this.convert(item, depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return object;
    }
    const map: SavedMap = new Map();
    for (const [key, item] of dict.items) map.set(key, this.convert(item, depth + 1));
    return map;
  }

  private tensorOf(spec: TensorSpec): Tensor {
    const storage = spec.storage;
    const alone = (this.users.get(storage)?.size ?? 0) <= 1;

    // The usual case: a tensor that is its whole storage, shared with no other tensor.
    let tensor: Tensor;
    if (alone && spec.coversStorage()) {
      tensor = this.fromStorage(storage, spec.size);
    } else {
      let base = this.bases.get(storage);
      if (!base) {
        base = this.fromStorage(storage, [storage.numel]);
        this.bases.set(storage, base);
      }
      tensor = wrap(callOp(OPS.asStrided, [base.handle, spec.size, spec.stride, spec.offset]));
    }
    this.made.push(tensor);
    if (spec.requiresGrad) tensor.requiresGrad = true;
    return tensor;
  }

  /** A new tensor holding a copy of the storage's values, in the machine's byte order. */
  private fromStorage(storage: StorageRef, shape: number[]): Tensor {
    const size = itemSize(storage.dtype);
    let bytes = storage.bytes.subarray(0, storage.numel * size);
    if (!this.littleEndian && size > 1) {
      const swapped = new Uint8Array(bytes.length);
      for (let at = 0; at < bytes.length; at += size) {
        for (let i = 0; i < size; i++) swapped[at + i] = bytes[at + size - 1 - i];
      }
      bytes = swapped;
    }
    // A bool byte other than 0 or 1 is undefined behaviour in libtorch.
    if (storage.dtype === 'bool' && bytes.some((b) => b > 1)) bytes = bytes.map((b) => +(b !== 0));
    const code = scalarTypeOf(storage.dtype);
    return wrap(nativeCall(() => native().fromBuffer(bytes, shape, code)));
  }
}

/** `collections.OrderedDict`: an empty dict (SETITEMS fills it), or one from pairs. */
const ORDERED_DICT: PyCallable = {
  name: 'collections.OrderedDict',
  call: (args) => orderedDict(args),
  newObject: (args) => orderedDict(args),
};

function orderedDict(args: unknown[]): PyDict {
  const dict = new PyDict();
  if (args.length === 0) return dict;
  const pairs = args[0];
  if (args.length !== 1 || !Array.isArray(pairs)) {
    throw new PickleError('collections.OrderedDict gets arguments that are not a list of pairs');
  }
  for (const pair of pairs) {
    if (!(pair instanceof PyTuple) || pair.items.length !== 2 || !isKey(pair.items[0])) {
      throw new PickleError('collections.OrderedDict gets an item that is not a (key, value) pair');
    }
    dict.items.set(pair.items[0], pair.items[1]);
  }
  return dict;
}

function isKey(value: unknown): value is string | number {
  return typeof value === 'string' || typeof value === 'number';
}

/** `torch.jit._pickle.restore_type_tag(value, type)`: libtorch's static type of a container. */
const RESTORE_TYPE_TAG: PyCallable = {
  name: 'torch.jit._pickle.restore_type_tag',
  call: (args) => {
    const [value, tag] = args;
    if (value instanceof PyDict && typeof tag === 'string') value.typeTag = tag;
    return value;
  },
};

/** libtorch's specialised lists (`build_intlist([1, 2])` and the like) hold a plain list. */
const LIST_BUILDERS = new Set([
  'build_intlist',
  'build_doublelist',
  'build_boollist',
  'build_tensorlist',
]);

function listBuilder(name: string): PyCallable {
  return {
    name: `torch.jit._pickle.${name}`,
    call: (args) => {
      if (args.length !== 1 || !Array.isArray(args[0])) {
        throw new PickleError(`torch.jit._pickle.${name} gets no list`);
      }
      return args[0];
    },
  };
}
