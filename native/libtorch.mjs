// Finds libtorch for the addon build and checks its version.
//
// Search order:
//   1. $LIBTORCH: a directory with include/ and lib/ (an official libtorch download, CPU or
//      CUDA, or a PyTorch install's torch/ folder);
//   2. the system install from Debian's libtorch-dev (/usr/include, /usr/lib/<arch>).
// Supported versions: 1.13.x (Debian 12's libtorch-dev), which is the version aekit is
// tested on; 2.x builds are accepted with a warning.
//
// Used by binding.gyp:  node native/libtorch.mjs include|libdir|libs
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const MIN = [1, 13];
const TESTED = '1.13';

export const HOW_TO_INSTALL =
  'aekit needs libtorch to build its native addon. On Debian or Ubuntu: ' +
  "'sudo apt-get install libtorch-dev libopenblas-dev libopenblas0-openmp'. Elsewhere: set " +
  'LIBTORCH to a libtorch directory that has include/ and lib/ (for example an unpacked ' +
  'libtorch download).';

function candidates() {
  const found = [];
  if (process.env.LIBTORCH) {
    const root = process.env.LIBTORCH;
    found.push({ source: 'LIBTORCH', include: join(root, 'include'), lib: join(root, 'lib') });
  }
  for (const lib of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib']) {
    found.push({ source: 'system', include: '/usr/include', lib });
  }
  return found;
}

/** Returns { include: string[], lib, version, source } or throws an Error with the fix. */
export function findLibtorch() {
  for (const place of candidates()) {
    const versionFile = join(place.include, 'torch/csrc/api/include/torch/version.h');
    const hasLib =
      existsSync(join(place.lib, 'libtorch.so')) || existsSync(join(place.lib, 'libtorch_cpu.so'));
    if (!existsSync(versionFile) || !hasLib) {
      if (place.source === 'LIBTORCH') {
        throw new Error(
          `LIBTORCH=${process.env.LIBTORCH} does not look like libtorch: expected ${versionFile} ` +
            `and ${join(place.lib, 'libtorch.so')}. ${HOW_TO_INSTALL}`,
        );
      }
      continue;
    }
    const text = readFileSync(versionFile, 'utf8');
    const part = (name) =>
      Number(new RegExp(`#define TORCH_VERSION_${name} (\\d+)`).exec(text)?.[1]);
    const version = [part('MAJOR'), part('MINOR'), part('PATCH')];
    if (version.some(Number.isNaN))
      throw new Error(`cannot read the libtorch version in ${versionFile}`);
    if (version[0] < MIN[0] || (version[0] === MIN[0] && version[1] < MIN[1])) {
      throw new Error(
        `libtorch ${version.join('.')} in ${place.include} is too old: ` +
          `aekit needs ${MIN.join('.')} or newer. ` +
          HOW_TO_INSTALL,
      );
    }
    return {
      source: place.source,
      include: [place.include, join(place.include, 'torch/csrc/api/include')],
      lib: place.lib,
      version: version.join('.'),
      tested: version.slice(0, 2).join('.') === TESTED,
    };
  }
  throw new Error(`libtorch not found. ${HOW_TO_INSTALL}`);
}

/**
 * The directory of OpenBLAS's OpenMP build (Debian's libopenblas0-openmp) beside libtorch's
 * own BLAS, or null. Linked first, it makes libtorch's matrix products run on libtorch's own
 * OpenMP pool instead of a second pool of OpenBLAS threads: one owner for the cores.
 * AEKIT_BLAS=system keeps whatever BLAS the system points libtorch at.
 */
export function findOpenmpBlas(lib) {
  if (process.env.AEKIT_BLAS === 'system') return null;
  for (const dir of [join(lib, 'openblas-openmp'), join(dirname(lib), 'openblas-openmp')]) {
    if (existsSync(join(dir, 'libblas.so.3')) && existsSync(join(dir, 'libopenblas.so.0'))) {
      return dir;
    }
  }
  return null;
}

/** Linker flags: the OpenMP OpenBLAS (searched first) when there is one, then libtorch. */
function linkFlags(found) {
  const blas = findOpenmpBlas(found.lib);
  const torch = `-L${found.lib} -Wl,-rpath,${found.lib} -ltorch -ltorch_cpu -lc10`;
  if (blas === null) return torch;
  const libs = `${join(blas, 'libblas.so.3')} ${join(blas, 'libopenblas.so.0')}`;
  return `-Wl,-rpath,${blas} -Wl,--no-as-needed ${libs} -Wl,--as-needed ${torch}`;
}

if (process.argv[1] && process.argv[1].endsWith('libtorch.mjs')) {
  const found = findLibtorch();
  const what = process.argv[2];
  if (what === 'include') console.log(found.include.join(' '));
  else if (what === 'libdir') console.log(found.lib);
  else if (what === 'libs') console.log(linkFlags(found));
  else if (what === 'blas') console.log(findOpenmpBlas(found.lib) ?? 'system');
  else if (what === 'version') console.log(found.version);
  else console.log(JSON.stringify(found));
}
