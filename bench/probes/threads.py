"""Times one engine-bench workload under several environments, one fresh worker each, in the
order given, and prints samples/s, CPU and kernel ms per step and voluntary context switches
per step. The finding behind aekit's thread policy (BENCHMARKS.md) came from this.

    python3 bench/probes/threads.py vae "default=" "passive=OMP_WAIT_POLICY=passive" \\
        "t1=AEKIT_NUM_THREADS=1" "py-t2=--threads 2 LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp"

Each argument is LABEL=SETTINGS: space-separated VAR=value pairs for the environment, plus
`--threads N` for the PyTorch worker; a label starting with `py` runs the PyTorch worker,
any other the aekit one. The variables of the thread policy are cleared first, so an empty
setting is each engine's own default. PROBE_SECONDS (environment) sets the timed training,
default 2. Needs bench/results/images-8192.f32, which `node bench/engine.mjs` writes.
"""
import json
import os
import subprocess
import sys

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLEARED = ('OMP_WAIT_POLICY', 'OPENBLAS_NUM_THREADS', 'AEKIT_NUM_THREADS', 'GOMP_SPINCOUNT',
           'LD_LIBRARY_PATH', 'OMP_NUM_THREADS')


def run(workload, label, settings):
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    extra = []
    words = settings.split()
    while words:
        word = words.pop(0)
        if word == '--threads':
            extra += ['--threads', words.pop(0)]
        else:
            key, _, value = word.partition('=')
            env[key] = value
    if label.startswith('py'):
        command = ['/usr/bin/python3', 'workers/torch_worker.py']
    else:
        command = ['node', 'workers/aekit_worker.mjs']
    command += ['--workload', workload, '--data', 'results/images-8192.f32', '--count', '8192',
                '--seconds', os.environ.get('PROBE_SECONDS', '2'), '--infer-seconds', '0.3'] + extra
    out = subprocess.run(command, env=env, capture_output=True, text=True, cwd=BENCH)
    try:
        train = json.loads(out.stdout)['train']
    except (json.JSONDecodeError, KeyError):
        print(workload, label, 'FAILED:', out.stderr.strip()[-300:], flush=True)
        return
    print(f"{workload} {label}: {train['samplesPerSec']:,.0f} samples/s, "
          f"CPU {train['cpuMsPerStep']:.1f} ms/step, kernel {train['systemMsPerStep']:.1f} ms, "
          f"{train['voluntarySwitchesPerStep']:.0f} voluntary switches/step", flush=True)


if __name__ == '__main__':
    for spec in sys.argv[2:]:
        name, _, setting = spec.partition('=')
        run(sys.argv[1], name, setting)
