/**
 * A small pickle virtual machine: the opcodes that Python's `torch.save` (pickle protocol 2)
 * and libtorch's pickler emit, and nothing that runs code. A GLOBAL is looked up in an
 * allow-list that the caller supplies ({@link PickleGlobals}); a name not in it stops the
 * load with an error that names it. Every problem is an {@link AekitError} with code
 * `BAD_FILE` naming the file and the byte where reading stopped.
 */
import { AekitError } from './errors.js';
import { badFile, quoted } from './zip.js';

/**
 * What the allow-list's functions throw for arguments they refuse; the machine re-raises it
 * as a `BAD_FILE` error naming the file and the byte.
 */
export class PickleError extends Error {}

/** A Python tuple (lists are plain arrays; the two differ as arguments to callables). */
export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

/** Keys a dict may have here: Python str, int and float. */
export type PyKey = string | number;

/** A Python dict (or OrderedDict), in insertion order. */
export class PyDict {
  readonly items = new Map<PyKey, unknown>();
  /** libtorch's type tag, such as `Dict[int, Tensor]`, when the file carries one. */
  typeTag?: string;
}

/** A callable the allow-list hands out for a GLOBAL: what REDUCE and NEWOBJ do with it. */
export interface PyCallable {
  /** `module.name`, for messages. */
  readonly name: string;
  /** What REDUCE does: `callable(*args)`. */
  call(args: unknown[]): unknown;
  /** What NEWOBJ does: `cls.__new__(cls, *args)`; absent when the global is no class. */
  newObject?(args: unknown[]): unknown;
}

/** What the caller lets a pickle reach. */
export interface PickleGlobals {
  /** The object for `module.name`, or undefined to refuse it. */
  find(module: string, name: string): unknown;
  /** What BINPERSID turns a persistent id into. */
  persistentLoad(pid: unknown): unknown;
}

/** Options for {@link unpickle}. */
export interface UnpickleOptions {
  /** The file, for messages. */
  source: string;
  /** The entry holding the pickle inside the file, for messages. Default: 'data.pkl'. */
  entry?: string;
  globals: PickleGlobals;
}

const HIGHEST_PROTOCOL = 5;

// Opcode bytes, named as in Python's pickletools.
const OP = {
  MARK: 0x28, // (
  STOP: 0x2e, // .
  POP: 0x30, // 0
  POP_MARK: 0x31, // 1
  DUP: 0x32, // 2
  BINFLOAT: 0x47, // G
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  NONE: 0x4e, // N
  BINPERSID: 0x51, // Q
  REDUCE: 0x52, // R
  BINUNICODE: 0x58, // X
  EMPTY_LIST: 0x5d, // ]
  APPEND: 0x61, // a
  BUILD: 0x62, // b
  GLOBAL: 0x63, // c
  APPENDS: 0x65, // e
  BINGET: 0x68, // h
  LONG_BINGET: 0x6a, // j
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  SETITEM: 0x73, // s
  TUPLE: 0x74, // t
  SETITEMS: 0x75, // u
  EMPTY_DICT: 0x7d, // }
  EMPTY_TUPLE: 0x29, // )
  PROTO: 0x80,
  NEWOBJ: 0x81,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  LONG4: 0x8b,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
} as const;

/** Longest module or name a GLOBAL line may have. */
const MAX_GLOBAL_LINE = 256;

/**
 * Runs the pickle in `bytes` and returns the value STOP leaves on the stack. Dicts come back
 * as {@link PyDict}, tuples as {@link PyTuple}, lists as arrays, Python ints and floats as
 * numbers, and whatever the allow-list's callables return as is.
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  return new Machine(bytes, options).run();
}

class Machine {
  private readonly view: DataView;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });
  private readonly entry: string;
  private position = 0;
  /** Where the opcode being run starts, for messages. */
  private opcodeAt = 0;
  private stack: unknown[] = [];
  private readonly marks: unknown[][] = [];
  private readonly memo = new Map<number, unknown>();

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.entry = options.entry ?? 'data.pkl';
  }

  run(): unknown {
    while (this.position < this.bytes.length) {
      this.opcodeAt = this.position;
      const opcode = this.bytes[this.position++];
      if (opcode === OP.STOP) return this.pop();
      this.step(opcode);
    }
    throw this.bad('the pickle ends before its STOP opcode (the file is truncated)');
  }

  private bad(what: string): AekitError {
    return badFile(this.options.source, `${what} (${this.entry}, byte ${this.opcodeAt})`);
  }

  // ---- reading operands ---------------------------------------------------------------

  private take(count: number): number {
    const at = this.position;
    if (count > this.bytes.length - at) {
      throw this.bad('the pickle ends inside an opcode (the file is truncated)');
    }
    this.position += count;
    return at;
  }

  private u8(): number {
    return this.bytes[this.take(1)];
  }

  private u16(): number {
    return this.view.getUint16(this.take(2), true);
  }

  private u32(): number {
    return this.view.getUint32(this.take(4), true);
  }

  private i32(): number {
    return this.view.getInt32(this.take(4), true);
  }

  private u64(): number {
    const value = this.view.getBigUint64(this.take(8), true);
    if (value > BigInt(this.bytes.length)) {
      throw this.bad(`a length of ${value} bytes runs past the end of the pickle`);
    }
    return Number(value);
  }

  private text(length: number): string {
    const at = this.take(length);
    try {
      return this.utf8.decode(this.bytes.subarray(at, at + length));
    } catch {
      throw this.bad('a string is not valid UTF-8');
    }
  }

  /** A newline-terminated ASCII line, as GLOBAL's operands are. */
  private line(): string {
    const start = this.position;
    const limit = Math.min(this.bytes.length, start + MAX_GLOBAL_LINE);
    for (let at = start; at < limit; at++) {
      if (this.bytes[at] === 0x0a) {
        this.position = at + 1;
        return this.text0(start, at);
      }
    }
    throw this.bad('a GLOBAL name has no end of line');
  }

  private text0(start: number, end: number): string {
    try {
      return this.utf8.decode(this.bytes.subarray(start, end));
    } catch {
      throw this.bad('a GLOBAL name is not valid UTF-8');
    }
  }

  /** A little-endian two's-complement integer of `length` bytes (LONG1, LONG4). */
  private long(length: number): number {
    const at = this.take(length);
    if (length === 0) return 0;
    let hex = '';
    for (let i = at + length - 1; i >= at; i--) hex += this.bytes[i].toString(16).padStart(2, '0');
    let value = BigInt('0x' + hex);
    if (this.bytes[at + length - 1] & 0x80) value -= 1n << BigInt(8 * length);
    // Limitation: Python ints beyond 2^53 come back as the nearest number, not exactly.
    return Number(value);
  }

  // ---- the stack ----------------------------------------------------------------------

  private push(value: unknown): void {
    this.stack.push(value);
  }

  private pop(): unknown {
    if (this.stack.length === 0) throw this.bad('the pickle pops an empty stack');
    return this.stack.pop();
  }

  private top(): unknown {
    if (this.stack.length === 0) throw this.bad('the pickle reads an empty stack');
    return this.stack[this.stack.length - 1];
  }

  /** The items pushed since the last MARK, which is removed. */
  private popMark(): unknown[] {
    const items = this.stack;
    const outer = this.marks.pop();
    if (outer === undefined) throw this.bad('the pickle has no MARK to pop to');
    this.stack = outer;
    return items;
  }

  private memoGet(index: number): void {
    if (!this.memo.has(index)) throw this.bad(`the pickle reads memo entry ${index}, never set`);
    this.push(this.memo.get(index));
  }

  private memoPut(index: number): void {
    this.memo.set(index, this.top());
  }

  // ---- opcodes ------------------------------------------------------------------------

  /** Runs one of the caller's functions, adding the file and byte to what it refuses. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (error instanceof PickleError) throw this.bad(error.message);
      throw error;
    }
  }

  private step(opcode: number): void {
    switch (opcode) {
      case OP.PROTO: {
        const version = this.u8();
        if (version > HIGHEST_PROTOCOL) throw this.bad(`unsupported pickle protocol ${version}`);
        return;
      }
      case OP.FRAME:
        // Frames only group opcodes for buffered reading; the whole pickle is in memory.
        this.u64();
        return;

      // constants
      case OP.NONE:
        return this.push(null);
      case OP.NEWTRUE:
        return this.push(true);
      case OP.NEWFALSE:
        return this.push(false);
      case OP.BININT:
        return this.push(this.i32());
      case OP.BININT1:
        return this.push(this.u8());
      case OP.BININT2:
        return this.push(this.u16());
      case OP.LONG1:
        return this.push(this.long(this.u8()));
      case OP.LONG4: {
        const length = this.i32();
        if (length < 0) throw this.bad('LONG4 has a negative length');
        return this.push(this.long(length));
      }
      case OP.BINFLOAT:
        return this.push(this.view.getFloat64(this.take(8), false));
      case OP.SHORT_BINUNICODE:
        return this.push(this.text(this.u8()));
      case OP.BINUNICODE:
        return this.push(this.text(this.u32()));
      case OP.BINUNICODE8:
        return this.push(this.text(this.u64()));

      // containers
      case OP.EMPTY_LIST:
        return this.push([]);
      case OP.EMPTY_DICT:
        return this.push(new PyDict());
      case OP.EMPTY_TUPLE:
        return this.push(new PyTuple([]));
      case OP.TUPLE:
        return this.push(new PyTuple(this.popMark()));
      case OP.TUPLE1: {
        const a = this.pop();
        return this.push(new PyTuple([a]));
      }
      case OP.TUPLE2: {
        const b = this.pop();
        const a = this.pop();
        return this.push(new PyTuple([a, b]));
      }
      case OP.TUPLE3: {
        const c = this.pop();
        const b = this.pop();
        const a = this.pop();
        return this.push(new PyTuple([a, b, c]));
      }
      case OP.APPEND: {
        const item = this.pop();
        this.list(this.top()).push(item);
        return;
      }
      case OP.APPENDS: {
        const items = this.popMark();
        this.list(this.top()).push(...items);
        return;
      }
      case OP.SETITEM: {
        const value = this.pop();
        const key = this.pop();
        this.set(this.top(), key, value);
        return;
      }
      case OP.SETITEMS: {
        const items = this.popMark();
        if (items.length % 2 !== 0) throw this.bad('SETITEMS has a key without a value');
        const dict = this.top();
        for (let i = 0; i < items.length; i += 2) this.set(dict, items[i], items[i + 1]);
        return;
      }

      // the stack, marks and the memo
      case OP.MARK:
        this.marks.push(this.stack);
        this.stack = [];
        return;
      case OP.POP:
        this.pop();
        return;
      case OP.POP_MARK:
        this.popMark();
        return;
      case OP.DUP:
        return this.push(this.top());
      case OP.BINPUT:
        return this.memoPut(this.u8());
      case OP.LONG_BINPUT:
        return this.memoPut(this.u32());
      case OP.MEMOIZE:
        return this.memoPut(this.memo.size);
      case OP.BINGET:
        return this.memoGet(this.u8());
      case OP.LONG_BINGET:
        return this.memoGet(this.u32());

      // objects
      case OP.GLOBAL: {
        const module = this.line();
        const name = this.line();
        return this.push(this.global(module, name));
      }
      case OP.STACK_GLOBAL: {
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== 'string' || typeof name !== 'string') {
          throw this.bad('STACK_GLOBAL needs two strings');
        }
        return this.push(this.global(module, name));
      }
      case OP.REDUCE: {
        const args = this.pop();
        const callable = this.pop();
        const target = this.callable(callable, 'REDUCE');
        const items = this.args(args, target);
        return this.push(this.guard(() => target.call(items)));
      }
      case OP.NEWOBJ: {
        const args = this.pop();
        const cls = this.callable(this.pop(), 'NEWOBJ');
        const make = cls.newObject?.bind(cls);
        if (!make) throw this.bad(`NEWOBJ on ${cls.name}, which is not a class`);
        const items = this.args(args, cls);
        return this.push(this.guard(() => make(items)));
      }
      case OP.BUILD: {
        this.pop();
        // An OrderedDict's attributes (a state dict's `_metadata`) are dropped; nothing
        // else that the allow-list makes takes a state.
        if (!(this.top() instanceof PyDict)) {
          throw this.bad(`BUILD sets the state of ${describeValue(this.top())}, unsupported`);
        }
        return;
      }
      case OP.BINPERSID: {
        const pid = this.pop();
        return this.push(this.guard(() => this.options.globals.persistentLoad(pid)));
      }

      default: {
        const char =
          opcode >= 0x20 && opcode < 0x7f ? ` (${quoted(String.fromCharCode(opcode))})` : '';
        throw this.bad(
          `bad or unsupported pickle opcode 0x${opcode.toString(16).padStart(2, '0')}${char}`,
        );
      }
    }
  }

  private global(module: string, name: string): unknown {
    const found = this.guard(() => this.options.globals.find(module, name));
    if (found === undefined) {
      throw this.bad(
        `the pickle refers to ${quoted(`${module}.${name}`)}, which is not on aekit's ` +
          'allow-list (aekit never runs code from a file)',
      );
    }
    return found;
  }

  private callable(value: unknown, opcode: string): PyCallable {
    if (isCallable(value)) return value;
    throw this.bad(`${opcode} calls ${describeValue(value)}, which is not callable`);
  }

  private args(value: unknown, callable: PyCallable): unknown[] {
    if (value instanceof PyTuple) return value.items;
    throw this.bad(`the arguments to ${callable.name} are ${describeValue(value)}, not a tuple`);
  }

  private list(value: unknown): unknown[] {
    if (Array.isArray(value)) return value;
    throw this.bad(`APPEND to ${describeValue(value)}, not a list`);
  }

  private set(target: unknown, key: unknown, value: unknown): void {
    if (!(target instanceof PyDict)) throw this.bad(`SETITEM on ${describeValue(target)}`);
    if (typeof key !== 'string' && typeof key !== 'number') {
      throw this.bad(`a dict key is ${describeValue(key)}; aekit reads str, int and float keys`);
    }
    target.items.set(key, value);
  }
}

function isCallable(value: unknown): value is PyCallable {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PyCallable).call === 'function' &&
    typeof (value as PyCallable).name === 'string'
  );
}

/**
 * What a pickled value is, in Python's words, for messages. Objects that the allow-list makes
 * say what they are through a `pythonKind` string.
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof PyTuple) return 'a tuple';
  if (value instanceof PyDict) return 'a dict';
  if (Array.isArray(value)) return 'a list';
  if (isCallable(value)) return quoted(value.name);
  if (typeof value === 'string') return `the string ${quoted(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  const kind = (value as { pythonKind?: unknown } | undefined)?.pythonKind;
  return typeof kind === 'string' ? kind : 'an object';
}
