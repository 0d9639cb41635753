// Saving and loading in PyTorch's file format: round trips within aekit and with Python's
// torch.save / torch.load, atomic writes, and one-line BAD_FILE errors for damaged files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AekitError,
  SavedValue,
  Tensor,
  arange,
  liveTensors,
  loadFile,
  loadValue,
  noGrad,
  saveFile,
  saveValue,
  scalar,
  tensor,
} from '../../src/engine/index.js';
import { ZipArchive, crc32, crc32Table } from '../../src/engine/zip.js';
import { generatedDir, runPython } from '../helpers/pytorch.js';

// ---- helpers: building archives and pickles by hand -----------------------------------

interface Entry {
  name: string;
  data: Uint8Array;
  /** Compression method written into the headers (the data is stored as given). */
  method?: number;
}

/** A zip archive of stored entries, with correct CRCs unless `crc` overrides them. */
function makeZip(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const crc = crc32(entry.data);
    const method = entry.method ?? 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(entry.data.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(method, 10);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(entry.data.length, 20);
    header.writeUInt32LE(entry.data.length, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(offset, 42);
    parts.push(local, name, Buffer.from(entry.data));
    central.push(header, name);
    offset += local.length + name.length + entry.data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, directory, end]);
}

/** The entries of an archive, to rebuild it with changes. */
function entriesOf(bytes: Uint8Array): Entry[] {
  const zip = new ZipArchive(bytes, 'test');
  return [...zip.entries.keys()].map((name) => ({ name, data: zip.read(name) }));
}

/** Pickle opcodes and operands, as byte arrays to concatenate. */
const P = {
  proto: [0x80, 2],
  mark: [0x28],
  tuple: [0x74],
  emptyTuple: [0x29],
  emptyList: [0x5d],
  append: [0x61],
  reduce: [0x52],
  persid: [0x51],
  newFalse: [0x89],
  stop: [0x2e],
  global: (module: string, name: string): number[] => [
    0x63,
    ...Buffer.from(`${module}\n${name}\n`),
  ],
  str: (text: string): number[] => {
    const bytes = Buffer.from(text);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(bytes.length);
    return [0x58, ...length, ...bytes];
  },
  int: (n: number): number[] => {
    const bytes = Buffer.alloc(4);
    bytes.writeInt32LE(n);
    return [0x4a, ...bytes];
  },
  ints: (values: number[]): number[] => [...P.mark, ...values.flatMap(P.int), ...P.tuple],
};

function pickle(...parts: number[][]): Uint8Array {
  return Uint8Array.from(parts.flat());
}

/** A pickle of one `_rebuild_tensor_v2` call on storage '0'. */
function tensorPickle(options: {
  storage?: string;
  numel: number;
  size: number[];
  stride: number[];
  offset?: number;
}): Uint8Array {
  return pickle(
    P.proto,
    P.global('torch._utils', '_rebuild_tensor_v2'),
    P.mark,
    P.mark,
    P.str('storage'),
    P.global('torch', options.storage ?? 'FloatStorage'),
    P.str('0'),
    P.str('cpu'),
    P.int(options.numel),
    P.tuple,
    P.persid,
    P.int(options.offset ?? 0),
    P.ints(options.size),
    P.ints(options.stride),
    P.newFalse,
    P.global('collections', 'OrderedDict'),
    P.emptyTuple,
    P.reduce,
    P.tuple,
    P.reduce,
    P.stop,
  );
}

/** An archive holding one pickle and one storage of float32 values. */
function tensorFile(data: Uint8Array, values: number[]): Buffer {
  return makeZip([
    { name: 'archive/data.pkl', data },
    { name: 'archive/data/0', data: new Uint8Array(new Float32Array(values).buffer) },
  ]);
}

/**
 * Asserts that `fn` throws a one-line AekitError BAD_FILE naming `source`, whose message
 * matches `pattern` (or contains it, for a string).
 */
function assertBadFile(fn: () => unknown, source: string, pattern: RegExp | string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof AekitError, `expected an AekitError, got ${String(error)}`);
    assert.equal(error.code, 'BAD_FILE');
    assert.ok(error.message.startsWith(`${source}: `), error.message);
    assert.ok(!error.message.includes('\n'), `not one line: ${error.message}`);
    if (typeof pattern === 'string') assert.ok(error.message.includes(pattern), error.message);
    else assert.match(error.message, pattern);
    return true;
  });
}

/** Frees every tensor in a loaded value. */
function disposeAll(value: unknown, seen = new Set<unknown>()): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Tensor) return value.dispose();
  const items = value instanceof Map ? [...value.values()] : Object.values(value);
  for (const item of items) disposeAll(item, seen);
}

function values(t: SavedValue | undefined): number[] {
  assert.ok(t instanceof Tensor, `expected a tensor, got ${String(t)}`);
  return t.toNumbers();
}

function asObject(value: SavedValue | undefined): Record<string, SavedValue> {
  assert.ok(value !== null && typeof value === 'object' && !(value instanceof Tensor));
  assert.ok(!Array.isArray(value) && !(value instanceof Map), 'expected a plain object');
  return value as Record<string, SavedValue>;
}

function tempFolder(): string {
  return mkdtempSync(join(tmpdir(), 'aekit-serialize-'));
}

/** A small deterministic random stream (mulberry32). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A value with a bit of everything, for round trips and fuzzing. */
function sampleValue(): SavedValue {
  const base = arange(12, undefined, 1, { dtype: 'float32' }).reshape(3, 4);
  return {
    weight: tensor([
      [0.5, -1.25],
      [3, 1e-7],
    ]),
    transposed: base.t(),
    steps: tensor(new BigInt64Array([7n, -9007199254740991n, 9007199254740991n])),
    mask: tensor([1, 0, 1], { dtype: 'bool' }),
    half: tensor([0.5, -2], { dtype: 'float16' }),
    brain: tensor([1.5, 3], { dtype: 'bfloat16' }),
    doubles: tensor(new Float64Array([0.1, -2.5e300])),
    counts: tensor([1, -2, 2147483647], { dtype: 'int32' }),
    bytes: tensor([0, 200, 255], { dtype: 'uint8' }),
    scalar: scalar(2.5),
    empty: tensor(new Float32Array(0), { shape: [0, 3] }),
    state: new Map<number, SavedValue>([
      [0, { step: scalar(1), exp_avg: tensor([0.25, 0.5]) }],
      [3, { step: scalar(2), exp_avg: tensor([1]) }],
    ]),
    groups: [{ lr: 0.001, betas: [0.9, 0.999], params: [0, 1], name: 'décodeur ✓' }],
    numbers: [0, -1, 2 ** 40, -(2 ** 40), 1.5, -300, 70000],
    flags: [true, false, null],
    nested: { empty: {}, list: [], deeper: { x: [[1], [2, [3]]] } },
  };
}

// ---- within aekit ------------------------------------------------------------------------

test('CRC-32 gives the standard check value, from zlib and from the fallback table', () => {
  const check = Buffer.from('123456789');
  assert.equal(crc32(check), 0xcbf43926);
  assert.equal(crc32Table(check), 0xcbf43926);
  const random = seeded(7);
  const bytes = Uint8Array.from({ length: 5000 }, () => Math.floor(random() * 256));
  assert.equal(crc32Table(bytes), crc32(bytes));
  assert.equal(crc32Table(new Uint8Array(0)), 0);
});

test('saveValue and loadValue round-trip tensors of every dtype and nested containers', () => {
  const original = sampleValue() as Record<string, SavedValue>;
  const loaded = asObject(loadValue(saveValue(original)));
  assert.deepEqual(Object.keys(loaded), Object.keys(original));

  for (const key of ['weight', 'transposed', 'mask', 'half', 'brain', 'doubles', 'counts']) {
    const a = original[key] as Tensor;
    const b = loaded[key] as Tensor;
    assert.ok(b instanceof Tensor, key);
    assert.equal(b.dtype, a.dtype, key);
    assert.deepEqual(b.shape, a.shape, key);
    assert.deepEqual(b.toNumbers(), a.toNumbers(), key);
  }
  assert.deepEqual(values(loaded.transposed), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  assert.deepEqual(Array.from((loaded.steps as Tensor).toArray() as BigInt64Array), [
    7n,
    -9007199254740991n,
    9007199254740991n,
  ]);
  assert.deepEqual(values(loaded.bytes), [0, 200, 255]);
  assert.deepEqual((loaded.scalar as Tensor).shape, []);
  assert.equal((loaded.scalar as Tensor).item(), 2.5);
  assert.deepEqual((loaded.empty as Tensor).shape, [0, 3]);

  const state = loaded.state;
  assert.ok(state instanceof Map);
  assert.deepEqual([...state.keys()], [0, 3]);
  assert.deepEqual(values(asObject(state.get(0)).exp_avg), [0.25, 0.5]);
  assert.equal((asObject(state.get(3)).step as Tensor).item(), 2);

  assert.deepEqual(loaded.groups, original.groups);
  assert.deepEqual(loaded.numbers, original.numbers);
  assert.deepEqual(loaded.flags, original.flags);
  assert.deepEqual(loaded.nested, original.nested);
  disposeAll(original);
  disposeAll(loaded);
});

test('saved tensors are detached copies; the originals are left as they were', () => {
  const weight = tensor([1, 2, 3], { requiresGrad: true });
  const bytes = saveValue({ weight, list: [weight, weight] });
  assert.equal(weight.requiresGrad, true);
  assert.equal(weight.isDisposed, false);
  const loaded = asObject(loadValue(bytes));
  const again = loaded.weight as Tensor;
  assert.equal(again.requiresGrad, false);
  assert.deepEqual(again.toNumbers(), [1, 2, 3]);
  // Changing the loaded copy does not reach the original.
  noGrad(() => again.fill_(0));
  assert.deepEqual(weight.toNumbers(), [1, 2, 3]);
  // The three saved references were one tensor, so the loaded ones share one storage again.
  assert.deepEqual((loaded.list as Tensor[]).map(values), [
    [0, 0, 0],
    [0, 0, 0],
  ]);
  disposeAll(loaded);
  weight.dispose();
});

test('Maps keep integer keys; string-keyed Maps load as objects; an empty Map stays a Map', () => {
  const loaded = asObject(
    loadValue(
      saveValue({
        ints: new Map([
          [2, 'two'],
          [-1, 'minus one'],
        ]),
        strings: new Map([['b', 1]]),
        empty: new Map(),
        object: { '2': 'a numeric string key stays a string' },
        proto: JSON.parse('{"__proto__": 1}') as SavedValue,
      }),
    ),
  );
  assert.deepEqual(
    loaded.ints,
    new Map([
      [2, 'two'],
      [-1, 'minus one'],
    ]),
  );
  assert.deepEqual(loaded.strings, { b: 1 });
  assert.deepEqual(loaded.empty, new Map());
  assert.deepEqual(Object.keys(asObject(loaded.object)), ['2']);
  const proto = asObject(loaded.proto);
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value, 1);
});

test('saveValue refuses what it cannot save, naming the path', () => {
  const cyclic: SavedValue[] = [];
  cyclic.push(cyclic);
  assert.throws(
    () => saveValue({ a: { b: cyclic } }),
    /^TypeError: value\.a\.b\[0\]: the value contains itself/,
  );
  assert.throws(() => saveValue({ when: new Date() as unknown as SavedValue }), {
    name: 'TypeError',
    message:
      'value.when: expected a Tensor, number, string, boolean, null, array, Map or ' +
      'plain object, got Date',
  });
  assert.throws(
    () => saveValue([undefined as unknown as SavedValue]),
    /^TypeError: value\[0\]: expected .*, got undefined/,
  );
  assert.throws(
    () =>
      saveValue(
        new Map<number | string, SavedValue>([
          [1, 1],
          ['a', 2],
        ]),
      ),
    /^TypeError: value: Map key: expected keys that are all integers or all strings/,
  );
  assert.throws(
    () => saveValue(new Map([[0.5, 1]])),
    /^TypeError: value: Map key: expected .*, got number 0\.5/,
  );
  assert.throws(() => saveValue({ __aekitMapEntries: [] }), /reserved/);
  const gone = tensor([1]);
  gone.dispose();
  assert.throws(
    () => saveValue({ w: gone }),
    (error: unknown) => error instanceof AekitError && error.code === 'DISPOSED',
  );
  let deep: SavedValue = 1;
  for (let i = 0; i < 300; i++) deep = [deep];
  assert.throws(() => saveValue(deep), /^RangeError: .*nested at most 200 deep/);
});

test('saveFile writes atomically and never damages an existing file', () => {
  const folder = tempFolder();
  try {
    const path = join(folder, 'model.pt');
    const w = tensor([1, 2]);
    saveFile(path, { w });
    assert.deepEqual(values(asObject(loadFile(path)).w), [1, 2]);
    const before = readFileSync(path);

    // A value that cannot be saved: nothing is written.
    assert.throws(() => saveFile(path, { w, bad: (() => 1) as unknown as SavedValue }), TypeError);
    assert.deepEqual(readFileSync(path), before);

    // Overwriting works and leaves no temporary files behind.
    saveFile(path, { w: tensor([3]) });
    assert.deepEqual(values(asObject(loadFile(path)).w), [3]);
    assert.deepEqual(readdirSync(folder), ['model.pt']);

    // A folder that does not exist, and a path that is a folder: errors, nothing left over.
    assertBadFile(
      () => saveFile(join(folder, 'missing', 'x.pt'), { w }),
      join(folder, 'missing', 'x.pt'),
      /cannot write the file \(ENOENT/,
    );
    mkdirSync(join(folder, 'taken'));
    writeFileSync(join(folder, 'taken', 'inside'), 'keep me');
    assertBadFile(
      () => saveFile(join(folder, 'taken'), { w }),
      join(folder, 'taken'),
      /cannot write/,
    );
    assert.deepEqual(readdirSync(folder).sort(), ['model.pt', 'taken']);
    assert.equal(readFileSync(join(folder, 'taken', 'inside'), 'utf8'), 'keep me');
    w.dispose();
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('malformed files give one-line BAD_FILE errors naming the file and the fault', () => {
  const good = saveValue({ w: tensor([1, 2, 3, 4]) });
  const source = 'bad.pt';
  const load = (bytes: Uint8Array) => () => loadValue(bytes, { source });

  assertBadFile(load(new Uint8Array(0)), source, /the file is empty \(0 bytes\)/);
  assertBadFile(
    load(Buffer.from('<?xml version="1.0"?>')),
    source,
    'not a zip archive (starts with 3c 3f 78 6d 6c 20 76 65, ' +
      'a PyTorch file starts with 50 4b 03 04)',
  );
  assertBadFile(
    load(Uint8Array.from([0x80, 0x02, 0x8a])),
    source,
    /legacy \(pre-1\.6\) torch\.save/,
  );
  for (const keep of [4, 100, good.length - 30, good.length - 1]) {
    assertBadFile(load(good.subarray(0, keep)), source, /truncated/);
  }
  assertBadFile(
    load(makeZip([{ name: 'archive/version', data: Buffer.from('3\n') }])),
    source,
    'the archive has no data.pkl entry, so it is no torch.save file ' +
      '(entries: "archive/version")',
  );

  // Damage inside entries.
  const entries = entriesOf(good);
  const rebuilt = (change: (entry: Entry) => Entry | null) =>
    makeZip(entries.map(change).filter((e): e is Entry => e !== null));
  assertBadFile(
    load(rebuilt((e) => (e.name === 'archive/data/0' ? null : e))),
    source,
    /missing storage entry "archive\/data\/0"/,
  );
  assertBadFile(
    load(
      rebuilt((e) => (e.name === 'archive/data/0' ? { ...e, data: e.data.subarray(0, 12) } : e)),
    ),
    source,
    /storage "archive\/data\/0" is too short: 4 float32 elements need 16 bytes, the entry holds 12/,
  );
  assertBadFile(
    load(rebuilt((e) => (e.name === 'archive/data.pkl' ? { ...e, method: 8 } : e))),
    source,
    /entry "archive\/data\.pkl" is compressed with method 8 \(deflate\)/,
  );
  const flipped = Buffer.from(good);
  const storageAt = flipped.indexOf(Buffer.from(new Float32Array([1, 2, 3, 4]).buffer));
  flipped[storageAt + 2] ^= 0x40;
  assertBadFile(load(flipped), source, /entry "archive\/data\/0" fails its CRC-32 check/);

  // Damage inside the pickle.
  const pkl = (data: Uint8Array) => load(tensorFile(data, [1, 2, 3, 4]));
  assertBadFile(
    pkl(pickle(P.proto, [0xff])),
    source,
    /bad or unsupported pickle opcode 0xff \(archive\/data\.pkl, byte 2\)/,
  );
  assertBadFile(pkl(pickle(P.proto, P.emptyList)), source, /ends before its STOP opcode/);
  assertBadFile(pkl(pickle(P.proto, [0x58, 9, 0, 0, 0, 0x41])), source, /ends inside an opcode/);
  assertBadFile(
    pkl(pickle(P.proto, P.global('os', 'system'), P.str('ls'), [0x85], P.reduce, P.stop)),
    source,
    /the pickle refers to "os\.system", which is not on aekit's allow-list/,
  );
  assertBadFile(
    pkl(pickle(P.proto, P.global('builtins', 'eval'), P.stop)),
    source,
    /"builtins\.eval", which is not on aekit's allow-list/,
  );
  assertBadFile(
    pkl(tensorPickle({ storage: 'CharStorage', numel: 4, size: [4], stride: [1] })),
    source,
    /unsupported dtype: the file holds a torch\.CharStorage \(int8\)/,
  );
  assertBadFile(
    pkl(tensorPickle({ storage: 'ComplexFloatStorage', numel: 4, size: [4], stride: [1] })),
    source,
    /unsupported dtype: .*complex64/,
  );
  assertBadFile(
    pkl(tensorPickle({ numel: 4, size: [3, 2], stride: [2, 1] })),
    source,
    'storage too short for the tensor: a tensor of size [3, 2], stride [2, 1] at offset 0 ' +
      'reaches element 6 of storage "0", which holds 4 float32 elements',
  );
  assertBadFile(
    pkl(tensorPickle({ numel: 4, size: [2], stride: [1], offset: 3 })),
    source,
    /storage too short for the tensor/,
  );
  assertBadFile(
    pkl(tensorPickle({ numel: 8, size: [4], stride: [1] })),
    source,
    /8 float32 elements need 32 bytes, the entry holds 16/,
  );
  assertBadFile(
    pkl(tensorPickle({ numel: 4, size: [2, 2], stride: [1] })),
    source,
    /a tensor has size \[2, 2\] but stride \[1\]/,
  );
  // A list that contains itself, and nesting deeper than any real file.
  assertBadFile(
    pkl(pickle(P.proto, P.emptyList, [0x71, 0], [0x68, 0], P.append, P.stop)),
    source,
    /a value that contains itself/,
  );
  const deep = pickle(
    P.proto,
    ...Array.from({ length: 1000 }, () => P.emptyList),
    ...Array.from({ length: 999 }, () => P.append),
    P.stop,
  );
  assertBadFile(pkl(deep), source, /nested more than 200 deep/);

  // The hand-made pickle itself is sound: with a fitting size it loads.
  const ok = loadValue(
    tensorFile(tensorPickle({ numel: 4, size: [2, 2], stride: [1, 2] }), [1, 2, 3, 4]),
  );
  assert.deepEqual(values(ok), [1, 3, 2, 4]);
  (ok as Tensor).dispose();

  // loadFile names the path; a missing file is a BAD_FILE error too.
  const folder = tempFolder();
  try {
    const path = join(folder, 'half.pt');
    writeFileSync(path, good.subarray(0, good.length / 2));
    assertBadFile(() => loadFile(path), path, /truncated/);
    assertBadFile(
      () => loadFile(join(folder, 'none.pt')),
      join(folder, 'none.pt'),
      /cannot read the file \(ENOENT/,
    );
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  assertBadFile(() => loadValue(new Uint8Array(0)), '<bytes>', /empty/);
  assert.throws(() => loadValue('x' as unknown as Uint8Array), /^TypeError: loadValue: bytes/);
});

test('the archive folder name and the byte order may vary', () => {
  const good = saveValue({ w: tensor([1.5, -2, 3]), n: tensor(new BigInt64Array([5n, -6n])) });
  const renamed = makeZip(
    entriesOf(good).map((e) => ({ ...e, name: e.name.replace(/^archive\//, 'my_model/') })),
  );
  const first = asObject(loadValue(renamed));
  assert.deepEqual(values(first.w), [1.5, -2, 3]);

  // A file from a big-endian machine: every element's bytes reversed, and a byteorder entry.
  const big = entriesOf(good).map((e) => {
    if (!e.name.startsWith('archive/data/')) return e;
    const size = e.data.length === 12 ? 4 : 8;
    const data = Uint8Array.from(e.data);
    for (let at = 0; at < data.length; at += size) data.subarray(at, at + size).reverse();
    return { ...e, data };
  });
  big.push({ name: 'archive/byteorder', data: Buffer.from('big') });
  const second = asObject(loadValue(makeZip(big)));
  assert.deepEqual(values(second.w), [1.5, -2, 3]);
  assert.deepEqual(values(second.n), [5, -6]);
  disposeAll([first, second]);
});

test('fuzz: 2,000 damaged files each load or fail with BAD_FILE, leaking no tensors', () => {
  const value = sampleValue();
  const good = saveValue(value);
  disposeAll(value);
  const entries = entriesOf(good);
  const pklIndex = entries.findIndex((e) => e.name.endsWith('data.pkl'));
  const random = seeded(20260101);
  const below = (n: number) => Math.floor(random() * n);
  const live = liveTensors();
  const outcomes = { loaded: 0, refused: 0 };

  const attempt = (bytes: Uint8Array, what: string) => {
    try {
      disposeAll(loadValue(bytes, { source: 'fuzz.pt' }));
      outcomes.loaded++;
    } catch (error) {
      assert.ok(error instanceof AekitError, `${what}: ${String(error)}`);
      assert.equal(error.code, 'BAD_FILE', `${what}: ${error.message}`);
      assert.ok(error.message.startsWith('fuzz.pt: ') && !error.message.includes('\n'));
      outcomes.refused++;
    }
  };

  // Damage anywhere in the file: flipped bytes and truncations.
  for (let i = 0; i < 1000; i++) {
    if (i % 4 === 3) {
      attempt(good.subarray(0, below(good.length)), `truncation ${i}`);
      continue;
    }
    const bytes = Buffer.from(good);
    const flips = 1 + below(8);
    for (let f = 0; f < flips; f++) bytes[below(bytes.length)] = below(256);
    attempt(bytes, `flip ${i}`);
  }

  // Damage inside the pickle, with CRCs recomputed so that the pickle machine sees it.
  const pkl = entries[pklIndex].data;
  for (let i = 0; i < 1000; i++) {
    let data = Uint8Array.from(pkl);
    const kind = i % 4;
    if (kind === 0) data = data.subarray(0, below(data.length));
    else if (kind === 1) {
      const at = below(data.length);
      data = Uint8Array.from([...data.subarray(0, at), below(256), ...data.subarray(at)]);
    } else if (kind === 2) {
      const at = below(data.length);
      data = Uint8Array.from([...data.subarray(0, at), ...data.subarray(at + 1 + below(4))]);
    } else {
      for (let f = 0, n = 1 + below(3); f < n; f++) data[below(data.length)] = below(256);
    }
    const changed = entries.map((e, j) => (j === pklIndex ? { ...e, data } : e));
    attempt(makeZip(changed), `pickle change ${i}`);
  }

  assert.equal(outcomes.loaded + outcomes.refused, 2000);
  assert.ok(outcomes.loaded > 20, `only ${outcomes.loaded} damaged files loaded`);
  assert.ok(outcomes.refused > 1000, `only ${outcomes.refused} damaged files were refused`);
  assert.equal(liveTensors(), live);
});

// ---- with Python's PyTorch ---------------------------------------------------------------

let pythonFolder: string | undefined;

/** The files Python wrote (test/fixtures/torch_roundtrip.py write), made once per run. */
function pythonFiles(): string {
  if (!pythonFolder) {
    pythonFolder = generatedDir('serialize');
    runPython('torch_roundtrip.py', ['write', pythonFolder]);
  }
  return pythonFolder;
}

interface TensorJson {
  dtype: string;
  shape: number[];
  values: number[];
}

type TreeJson =
  | { tensor: TensorJson }
  | { dict: [string | number, TreeJson][] }
  | { list: TreeJson[] }
  | { value: number | string | boolean | null };

function describeTensor(t: Tensor): TensorJson {
  return { dtype: t.dtype, shape: t.shape, values: t.toNumbers() };
}

/** Asserts that a loaded value equals what Python described, exactly. */
function assertMatches(actual: SavedValue | undefined, expected: TreeJson, path: string): void {
  if ('tensor' in expected) {
    assert.ok(actual instanceof Tensor, `${path}: expected a tensor`);
    assert.deepEqual(describeTensor(actual), expected.tensor, path);
  } else if ('dict' in expected) {
    const keys = expected.dict.map(([key]) => key);
    if (keys.every((key) => typeof key === 'string')) {
      const object = asObject(actual);
      assert.deepEqual(Object.keys(object), keys, `${path}: keys`);
      for (const [key, item] of expected.dict) assertMatches(object[key], item, `${path}.${key}`);
    } else {
      assert.ok(actual instanceof Map, `${path}: expected a Map`);
      assert.deepEqual([...actual.keys()], keys, `${path}: keys`);
      for (const [key, item] of expected.dict)
        assertMatches(actual.get(key), item, `${path}[${key}]`);
    }
  } else if ('list' in expected) {
    assert.ok(Array.isArray(actual), `${path}: expected an array`);
    assert.equal(actual.length, expected.list.length, `${path}: length`);
    expected.list.forEach((item, i) => assertMatches(actual[i], item, `${path}[${i}]`));
  } else {
    assert.equal(actual, expected.value, path);
  }
}

test("Python's torch.load reads aekit's state dict and optimizer state exactly", () => {
  const folder = pythonFiles();
  const weightValues = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1) / 3);
  // Saved from a transposed view, so the file holds a contiguous copy.
  const weight = tensor(weightValues, { shape: [4, 3] }).t();
  const state = {
    weight,
    bias: tensor([0.1, -0.2, 0.3]),
    num_batches_tracked: tensor(new BigInt64Array([7n]), { shape: [] }),
    mask: tensor([1, 0, 0, 1], { dtype: 'bool', shape: [2, 2] }),
  };
  const optim = {
    state: new Map<number, SavedValue>([
      [0, { step: scalar(1), exp_avg: tensor([[0.5, -0.25, 1e-8, 3]]) }],
      [1, { step: scalar(1), exp_avg: tensor([-1.5]) }],
    ]),
    param_groups: [{ lr: 0.001, betas: [0.9, 0.999], params: [0, 1] }],
  };
  saveFile(join(folder, 'state.pt'), state);
  saveFile(join(folder, 'optim.pt'), optim);

  const expected = {
    state: Object.fromEntries(Object.entries(state).map(([k, t]) => [k, describeTensor(t)])),
    optim_state: Object.fromEntries(
      [...optim.state].map(([index, entry]) => [
        index,
        Object.fromEntries(
          Object.entries(asObject(entry)).map(([k, t]) => [k, describeTensor(t as Tensor)]),
        ),
      ]),
    ),
  };
  writeFileSync(join(folder, 'aekit_expected.json'), JSON.stringify(expected));
  assert.equal(runPython('torch_roundtrip.py', ['check', folder]).trim(), 'ok');
  disposeAll([state, optim]);
});

test("aekit reads Python's state dict, Adam state, views and dtypes exactly", () => {
  const folder = pythonFiles();
  const expected = JSON.parse(readFileSync(join(folder, 'expected.json'), 'utf8')) as Record<
    string,
    TreeJson
  >;
  for (const name of ['model_state', 'adam_state', 'views', 'dtypes']) {
    const loaded = loadFile(join(folder, `${name}.pt`));
    assertMatches(loaded, expected[name], name);
    disposeAll(loaded);
  }

  // The model's keys, and the optimizer state's int keys and settings, spelled out.
  const model = asObject(loadFile(join(folder, 'model_state.pt')));
  assert.deepEqual(Object.keys(model), [
    '0.weight',
    '0.bias',
    '1.weight',
    '1.bias',
    '2.weight',
    '2.bias',
    '2.running_mean',
    '2.running_var',
    '2.num_batches_tracked',
  ]);
  assert.equal((model['2.num_batches_tracked'] as Tensor).dtype, 'int64');
  assert.equal((model['2.num_batches_tracked'] as Tensor).item(), 2);
  assert.deepEqual((model['1.weight'] as Tensor).shape, [3, 2, 3, 3]);
  disposeAll(model);
  const adam = asObject(loadFile(join(folder, 'adam_state.pt')));
  assert.ok(adam.state instanceof Map);
  assert.deepEqual([...adam.state.keys()], [0, 1, 2, 3, 4, 5]);
  const group = asObject((adam.param_groups as SavedValue[])[0]);
  assert.equal(group.lr, 0.001);
  assert.deepEqual(group.betas, [0.9, 0.999]);
  assert.deepEqual(group.params, [0, 1, 2, 3, 4, 5]);
  disposeAll(adam);
});

test('tensors loaded from Python share storage as saved and can be trained', () => {
  const views = asObject(loadFile(join(pythonFiles(), 'views.pt')));
  const whole = views.shared_whole as Tensor;
  const row = views.shared_row as Tensor;
  assert.deepEqual(whole.shape, [3, 4]);
  assert.deepEqual(row.shape, [4]);
  // One storage, as in Python: writing through one view shows in the other.
  noGrad(() => whole.fill_(7));
  assert.deepEqual(row.toNumbers(), [7, 7, 7, 7]);
  // The transposed and strided views are views of the same base in Python, so they too.
  assert.deepEqual(values(views.transposed), new Array(12).fill(7));
  assert.deepEqual(values(views.every_other), new Array(6).fill(7));

  // A Parameter keeps requires_grad, and gradients flow to it.
  const parameter = views.parameter as Tensor;
  assert.equal(parameter.requiresGrad, true);
  const loss = parameter.square().sum();
  loss.backward();
  assert.deepEqual(parameter.grad?.toNumbers(), [1, -3]);
  noGrad(() => parameter.sub_(parameter.grad as Tensor, 0.5));
  assert.deepEqual(parameter.toNumbers(), [0, 0]);
  loss.dispose();
  disposeAll(views);
});

test('Python files aekit must refuse: compressed, int8, and a pickle that would run code', () => {
  const folder = pythonFiles();
  const path = (name: string) => join(folder, name);
  assertBadFile(
    () => loadFile(path('compressed.pt')),
    path('compressed.pt'),
    /entry "model_state\/data\.pkl" is compressed with method 8 \(deflate\)/,
  );
  assertBadFile(
    () => loadFile(path('int8.pt')),
    path('int8.pt'),
    /unsupported dtype: the file holds a torch\.CharStorage \(int8\)/,
  );
  assertBadFile(
    () => loadFile(path('evil.pt')),
    path('evil.pt'),
    /the pickle refers to "posix\.system", which is not on aekit's allow-list/,
  );
});
