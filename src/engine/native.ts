/**
 * Loads the native addon (libtorch through Node-API) and sets the thread policy first.
 *
 * Thread policy: libtorch's intra-op pool (OpenMP) owns the cores. OpenBLAS, which libtorch
 * calls for matrix products, keeps no pool of its own: two pools spinning on the same cores
 * cost about 5x on a 2-core machine. When the addon is linked with OpenBLAS's OpenMP build
 * (Debian's libopenblas0-openmp), matrix products run on libtorch's pool with its thread
 * count; with the pthread build, OpenBLAS gets one thread. OpenMP keeps its own wait
 * policy (spin briefly, then sleep): making its workers sleep at once (OMP_WAIT_POLICY=
 * passive) costs a thousand context switches per training step and halves the speed of
 * a conv VAE on two cores (BENCHMARKS.md). OPENBLAS_NUM_THREADS is read when the library
 * loads, so it is set here before the addon is opened. A value the user already set is
 * left alone.
 *
 * Memory policy: on glibc the addon tells malloc to keep freed blocks for reuse instead of
 * returning them to the system each step, which otherwise costs tens of thousands of page
 * faults per training step (BENCHMARKS.md). AEKIT_MALLOC_TUNING=0 turns this off.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AekitError } from './errors.js';
import type { FusedAdamScalars } from './fused.js';

/** Opaque handle to a native tensor. */
export type TensorHandle = { readonly __tensor: unique symbol };
/** Opaque handle to a native random generator. */
export type GeneratorHandle = { readonly __generator: unique symbol };

/** A value the native pickler saves or returns; Maps travel as `__aekitMapEntries` pairs. */
export type NativeValue =
  | TensorHandle
  | number
  | string
  | boolean
  | null
  | NativeValue[]
  | { __aekitMapEntries: [NativeValue, NativeValue][] }
  | { [key: string]: NativeValue };

/** The addon's functions (native/addon.cc, dispatch.cc, serialize.cc, optim.cc). */
export interface NativeAddon {
  fromBuffer(
    data: ArrayBufferView,
    shape: number[],
    scalarType: number,
    device?: string,
  ): TensorHandle;
  toBuffer(tensor: TensorHandle): ArrayBuffer;
  item(tensor: TensorHandle): number | boolean;
  meta(tensor: TensorHandle): [number[], number, string, boolean];
  shape(tensor: TensorHandle): number[];
  scalarType(tensor: TensorHandle): number;
  setRequiresGrad(tensor: TensorHandle, value: boolean): void;
  isLeaf(tensor: TensorHandle): boolean;
  grad(tensor: TensorHandle): TensorHandle | null;
  setGrad(tensor: TensorHandle, grad: TensorHandle | null): void;
  setData(tensor: TensorHandle, source: TensorHandle): void;
  backward(tensor: TensorHandle, gradient: TensorHandle | null, retainGraph: boolean): void;
  dispose(tensor: TensorHandle): void;
  isDisposed(tensor: TensorHandle): boolean;
  liveTensors(): number;
  setGradEnabled(enabled: boolean): boolean;
  isGradEnabled(): boolean;
  manualSeed(seed: number | bigint): void;
  newGenerator(seed: number | bigint): GeneratorHandle;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  setBlasThreads(n: number): boolean;
  getBlasThreads(): number | null;
  blasThreading(): 'serial' | 'pthread' | 'openmp' | null;
  buildInfo(): {
    torchVersion: string;
    cuda: boolean;
    mkldnn: boolean;
    openmp: boolean;
    parallelInfo: string;
  };
  findOperator(name: string, overload: string): number;
  operatorSchema(id: number): string;
  call(id: number, args: unknown[], keepResult: boolean): unknown;
  /** Whether glibc's allocator was told to keep freed memory (see native/addon.cc). */
  allocatorTuned: boolean;
  adamStep(
    params: TensorHandle[],
    grads: TensorHandle[],
    expAvgs: TensorHandle[],
    expAvgSqs: TensorHandle[],
    maxExpAvgSqs: TensorHandle[] | null,
    stepSizes: number[],
    biasCorrection2Sqrts: number[],
    scalars: FusedAdamScalars,
  ): boolean;
  pickleSave(value: NativeValue): Buffer;
  pickleLoad(bytes: Uint8Array): NativeValue;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Where the built addon can be, nearest first. */
function addonCandidates(): string[] {
  // AEKIT_ADDON names the one file to load (for tests and unusual installs).
  if (process.env.AEKIT_ADDON) return [process.env.AEKIT_ADDON];
  // here is dist/src/engine when compiled.
  const root = join(here, '..', '..', '..');
  return [join(root, 'build', 'Release', 'aekit.node'), join(root, 'build', 'Debug', 'aekit.node')];
}

function applyThreadPolicy(): void {
  process.env.OPENBLAS_NUM_THREADS ??= '1';
}

let addon: NativeAddon | undefined;
let blasFollows = false;

/**
 * Whether OpenBLAS runs on libtorch's OpenMP pool and so follows its thread count (the
 * OpenMP build of OpenBLAS, and OPENBLAS_NUM_THREADS not set by the user).
 */
export function blasFollowsThreads(): boolean {
  native();
  return blasFollows;
}

/** The native addon, loaded on first use. Throws one message listing the fixes. */
export function native(): NativeAddon {
  if (addon) return addon;
  const userBlas = process.env.OPENBLAS_NUM_THREADS !== undefined;
  applyThreadPolicy();
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  for (const path of addonCandidates()) {
    if (!existsSync(path)) {
      tried.push(`${path} (not built)`);
      continue;
    }
    try {
      addon = require(path) as NativeAddon;
      break;
    } catch (error) {
      tried.push(`${path} (${(error as Error).message.split('\n')[0]})`);
    }
  }
  if (!addon) {
    throw new AekitError(
      'NO_ADDON',
      'aekit could not load its native addon. Fixes: install libtorch ' +
        "('sudo apt-get install libtorch-dev libopenblas-dev libopenblas0-openmp' on Debian, " +
        "or set LIBTORCH to a libtorch directory), then run 'npm run build:native' in the " +
        'aekit folder. Tried: ' +
        tried.join('; '),
    );
  }
  // libtorch counts physical cores, which is 1 on a 2-vCPU machine; aekit uses every core
  // it may run on unless AEKIT_NUM_THREADS says otherwise.
  const asked = Number(process.env.AEKIT_NUM_THREADS);
  const threads = Number.isInteger(asked) && asked > 0 ? asked : availableParallelism();
  addon.setNumThreads(threads);
  // OpenBLAS's OpenMP build shares libtorch's pool: it gets the same thread count. Its
  // pthread build keeps the single thread it was started with.
  blasFollows = !userBlas && addon.blasThreading() === 'openmp';
  if (blasFollows) addon.setBlasThreads(threads);
  else if (process.env.OPENBLAS_NUM_THREADS === '1') addon.setBlasThreads(1);
  return addon;
}

/** Whether the addon can be loaded, without throwing. */
export function nativeAvailable(): boolean {
  try {
    native();
    return true;
  } catch {
    return false;
  }
}
