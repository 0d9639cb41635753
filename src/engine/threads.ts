/** Thread settings. See native.ts for the policy: libtorch's pool owns the cores. */
import { checkInteger } from './errors.js';
import { blasFollowsThreads, native } from './native.js';

/** Sets the number of threads libtorch's intra-op pool uses (torch.set_num_threads). */
export function setNumThreads(n: number): void {
  checkInteger(n, 'threads', 1, 1024);
  native().setNumThreads(n);
  if (blasFollowsThreads()) native().setBlasThreads(n);
}

export function getNumThreads(): number {
  return native().getNumThreads();
}

/** What the engine runs with: libtorch's version and build, and both thread pools. */
export function engineInfo(): {
  torchVersion: string;
  cuda: boolean;
  mkldnn: boolean;
  openmp: boolean;
  threads: number;
  blasThreads: number | null;
  /** How OpenBLAS runs in parallel: 'openmp' (on libtorch's pool), 'pthread', 'serial'. */
  blas: 'serial' | 'pthread' | 'openmp' | null;
  /** OMP_WAIT_POLICY as set by the user; undefined: OpenMP's own (spin, then sleep). */
  ompWaitPolicy: string | undefined;
  allocatorTuned: boolean;
} {
  const addon = native();
  const build = addon.buildInfo();
  return {
    torchVersion: build.torchVersion,
    cuda: build.cuda,
    mkldnn: build.mkldnn,
    openmp: build.openmp,
    threads: addon.getNumThreads(),
    blasThreads: addon.getBlasThreads(),
    blas: addon.blasThreading(),
    ompWaitPolicy: process.env.OMP_WAIT_POLICY,
    allocatorTuned: addon.allocatorTuned,
  };
}
