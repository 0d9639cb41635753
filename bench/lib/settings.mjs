// The contenders of the engine benchmark and their thread settings: how to start each
// worker, with which environment. Shared by engine.mjs and paired.mjs.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PYTHON = '/usr/bin/python3';

/** Variables of the thread and allocator policy, cleared before a worker's own are set. */
export const CONTROLLED = [
  'AEKIT_NUM_THREADS',
  'OPENBLAS_NUM_THREADS',
  'OMP_WAIT_POLICY',
  'OMP_NUM_THREADS',
  'GOMP_SPINCOUNT',
  'LD_LIBRARY_PATH',
  'GLIBC_TUNABLES',
];

// glibc's malloc serves blocks from 128 kB up with fresh mmap()s and gives them back on free,
// so every step of the conv workload page-faults its 25 MB activations in anew (about 40k
// faults and 80 ms of kernel time a step here). These tunables keep such blocks in the heap.
const MALLOC = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296';

function childEnv(extra) {
  const env = { ...process.env };
  for (const key of CONTROLLED) delete env[key];
  return { ...env, ...extra };
}

// Where Debian keeps the two OpenBLAS builds.
const MULTIARCH = '/usr/lib/x86_64-linux-gnu';

/** One contender with one thread setting: how to start its worker. */
export function setting(
  contender,
  label,
  { threads, blas, malloc, spin, ompBlas, unfusedAdam } = {},
) {
  const workers = join(benchDir, 'workers');
  const env =
    blas === undefined
      ? childEnv({})
      : childEnv({
          OPENBLAS_NUM_THREADS: String(blas),
          OMP_WAIT_POLICY: 'passive',
          // Both sides on the pthread OpenBLAS (Python's default), whatever aekit links.
          LD_LIBRARY_PATH: join(MULTIARCH, 'openblas-pthread'),
        });
  // "spin": OpenMP's own wait policy (spin briefly, then sleep), as aekit's default now is.
  if (spin) delete env.OMP_WAIT_POLICY;
  // "ompblas": OpenBLAS's OpenMP build, sharing the intra-op pool, as aekit's default links.
  if (ompBlas) env.LD_LIBRARY_PATH = join(MULTIARCH, 'openblas-openmp');
  if (malloc) env.GLIBC_TUNABLES = MALLOC;
  if (contender === 'pytorch') {
    return {
      contender,
      label,
      command: PYTHON,
      args: [
        join(workers, 'torch_worker.py'),
        ...(threads === undefined ? [] : ['--threads', String(threads)]),
      ],
      env,
    };
  }
  if (contender === 'aekit') {
    if (threads !== undefined) env.AEKIT_NUM_THREADS = String(threads);
    // Read by lib/aekit_models.mjs: Adam with `fused: false`, as before the one-pass kernel.
    if (unfusedAdam) env.BENCH_ADAM_FUSED = '0';
    const args = [join(workers, 'aekit_worker.mjs')];
    return { contender, label, command: process.execPath, args, env, optIn: !!unfusedAdam };
  }
  const args = [join(workers, 'tfjs_worker.mjs')];
  return { contender, label, command: process.execPath, args, env };
}

// Thread settings "tN bM": N intra-op threads, OPENBLAS_NUM_THREADS=M, OMP_WAIT_POLICY=passive,
// the pthread build of OpenBLAS; "spin": OMP_WAIT_POLICY unset (OpenMP's own policy);
// "ompblas": OpenBLAS's OpenMP build (Debian's libopenblas0-openmp) through LD_LIBRARY_PATH,
// which runs matrix products on the intra-op pool. aekit's default (no variables set) is its
// own policy: all cores, the OpenMP OpenBLAS it links, OpenMP's wait policy. PyTorch's
// default (nothing set) is what a Python user gets: its own thread count, OpenBLAS's and
// OpenMP's defaults.
export function allSettings(mallocVariants = false) {
  const all = {
    aekit: [
      setting('aekit', 'default'),
      setting('aekit', 't1 b1', { threads: 1, blas: 1 }),
      setting('aekit', 't2 b1', { threads: 2, blas: 1 }),
      setting('aekit', 't1 b2', { threads: 1, blas: 2 }),
      setting('aekit', 't2 b2', { threads: 2, blas: 2 }),
      // Adam op by op; opt-in: engine.mjs runs it only when --settings names it.
      setting('aekit', 'default unfused', { unfusedAdam: true }),
    ],
    pytorch: [
      setting('pytorch', 'default'),
      setting('pytorch', 't1 b1', { threads: 1, blas: 1 }),
      setting('pytorch', 't2 b1', { threads: 2, blas: 1 }),
      setting('pytorch', 't2 b1 spin', { threads: 2, blas: 1, spin: true }),
      setting('pytorch', 't1 b2', { threads: 1, blas: 2 }),
      setting('pytorch', 't2 b2', { threads: 2, blas: 2 }),
      setting('pytorch', 't2 ompblas', { threads: 2, ompBlas: true }),
    ],
    tfjs: [setting('tfjs', 'wasm simd')],
  };
  if (mallocVariants) {
    all.aekit.push(setting('aekit', 'default +malloc', { malloc: true }));
    all.pytorch.push(setting('pytorch', 't1 b1 +malloc', { threads: 1, blas: 1, malloc: true }));
    all.pytorch.push(setting('pytorch', 't2 b1 +malloc', { threads: 2, blas: 1, malloc: true }));
  }
  return all;
}
