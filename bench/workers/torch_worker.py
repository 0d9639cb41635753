"""PyTorch side of the engine benchmark: one workload, one thread setting, one process.

Run by bench/engine.mjs, which sets OPENBLAS_NUM_THREADS and OMP_WAIT_POLICY in the
environment (read when libtorch loads) and passes the rest on the command line. Prints one
JSON object on stdout. The models are the ones bench/README.md lists, layer by layer.
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


def status_kb(field):
    """A field of /proc/self/status in kB (VmHWM: peak resident set, VmRSS: now)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# ---- models (bench/README.md) ----------------------------------------------------------


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 32), nn.ReLU()
        )
        self.decoder = nn.Sequential(
            nn.Linear(32, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid(),
            nn.Unflatten(1, (1, 28, 28)),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


class ConvAe(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # [B, 32, 14, 14]
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # [B, 32, 7, 7]
        )
        self.decoder = nn.Sequential(
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),  # 14
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2),  # 28
            nn.Conv2d(32, 1, 3, padding=1), nn.Sigmoid(),
        )

    def forward(self, x):
        return self.decoder(self.encoder(x))


class ConvVae(nn.Module):
    def __init__(self, latent=16):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 32, 3, stride=2, padding=1), nn.ReLU(),  # [B, 32, 14, 14]
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),  # [B, 64, 7, 7]
            nn.Flatten(),
        )
        self.mu = nn.Linear(64 * 7 * 7, latent)
        self.logvar = nn.Linear(64 * 7 * 7, latent)
        self.decoder_input = nn.Linear(latent, 64 * 7 * 7)
        self.decoder = nn.Sequential(
            nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
            nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(32, 1, 3, stride=2, padding=1, output_padding=1),  # logits
        )

    def forward(self, x):
        h = self.encoder(x)
        mu, logvar = self.mu(h), self.logvar(h)  # [B, latent] each
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decoder(self.decoder_input(z)), mu, logvar


def vae_loss(logits, x, mu, logvar):
    # Bernoulli likelihood from logits, summed per sample; Gaussian KL from Kingma &
    # Welling (2014), appendix B. Both averaged over the batch.
    batch = x.shape[0]
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.square() - logvar.exp())
    return (reconstruction + kl) / batch


WORKLOADS = {
    "mlp": {"model": Mlp, "batch": 256, "infer": True},
    "conv": {"model": ConvAe, "batch": 256, "infer": True},
    "vae": {"model": ConvVae, "batch": 128, "infer": False},
}


# ---- timing ----------------------------------------------------------------------------


def measure(step, batch, seconds, warmup_steps, warmup_seconds, min_steps):
    """Runs `step` for warm-up, then for at least `seconds`; returns throughput numbers."""
    start = time.perf_counter()
    done = 0
    while done < warmup_steps or time.perf_counter() - start < warmup_seconds:
        step(done)
        done += 1
    times = []
    cpu_begin = time.process_time()
    usage_begin = resource.getrusage(resource.RUSAGE_SELF)
    begin = time.perf_counter()
    while len(times) < min_steps or time.perf_counter() - begin < seconds:
        t0 = time.perf_counter()
        step(done + len(times))
        times.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - begin
    cpu = time.process_time() - cpu_begin
    usage = resource.getrusage(resource.RUSAGE_SELF)

    def per_step(field):
        return (getattr(usage, field) - getattr(usage_begin, field)) / len(times)

    return {
        "steps": len(times),
        "seconds": elapsed,
        "samplesPerSec": len(times) * batch / elapsed,
        "stepMsMedian": statistics.median(times) * 1000,
        # CPU time of the whole process (all threads) per step: less sensitive to other load.
        "cpuMsPerStep": cpu * 1000 / len(times),
        "systemMsPerStep": per_step("ru_stime") * 1000,
        "minorFaultsPerStep": per_step("ru_minflt"),
        "voluntarySwitchesPerStep": per_step("ru_nvcsw"),
        "involuntarySwitchesPerStep": per_step("ru_nivcsw"),
    }


def serve_bursts(train_step, batch, min_steps):
    """The worker side of paired.mjs: one timed burst per 'run SECONDS' line on stdin."""
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if len(words) == 2 and words[0] == "run":
            burst = measure(train_step, batch, float(words[1]), 1, 0.2, min_steps)
            print(json.dumps(burst), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workload", required=True, choices=WORKLOADS)
    parser.add_argument("--data", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--threads", type=int, help="intra-op threads (default: PyTorch's own)")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--infer-seconds", type=float, default=1.5)
    parser.add_argument("--warmup-steps", type=int, default=3)
    parser.add_argument("--warmup-seconds", type=float, default=0.5)
    parser.add_argument("--min-steps", type=int, default=3)
    parser.add_argument("--serve", default="0", help="1: answer 'run SECONDS' lines (paired.mjs)")
    args = parser.parse_args()

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rss_start = status_kb("VmRSS")
    spec = WORKLOADS[args.workload]
    batch = spec["batch"]

    # The same images for every contender: float32 [count, 1, 28, 28], cut into batches.
    with open(args.data, "rb") as file:
        raw = bytearray(file.read())
    images = torch.frombuffer(raw, dtype=torch.float32).reshape(args.count, 1, 28, 28)
    batches = list(torch.split(images, batch))
    batches = [b for b in batches if b.shape[0] == batch]

    model = spec["model"]()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []

    def train_step(i):
        x = batches[i % len(batches)]
        optimizer.zero_grad()
        if args.workload == "vae":
            logits, mu, logvar = model(x)
            loss = vae_loss(logits, x, mu, logvar)
        else:
            loss = F.binary_cross_entropy(model(x), x)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    model.train()
    if args.serve == "1":
        serve_bursts(train_step, batch, args.min_steps)
        return
    result = {
        "contender": "pytorch",
        "workload": args.workload,
        "threads": torch.get_num_threads(),
        "batch": batch,
        "train": measure(
            train_step, batch, args.seconds, args.warmup_steps, args.warmup_seconds,
            args.min_steps,
        ),
        "lossFirst": losses[0],
        "lossLast": losses[-1],
    }

    if spec["infer"]:
        model.eval()

        def reconstruct_step(i):
            with torch.no_grad():
                model(batches[i % len(batches)])

        def encode_step(i):
            with torch.no_grad():
                model.encoder(batches[i % len(batches)])

        timing = (args.infer_seconds, args.warmup_steps, 0.2, args.min_steps)
        result["reconstruct"] = measure(reconstruct_step, batch, *timing)
        result["encode"] = measure(encode_step, batch, *timing)

    result["rssStartKB"] = rss_start
    result["rssPeakKB"] = status_kb("VmHWM")
    result["versions"] = {"torch": torch.__version__, "python": sys.version.split()[0]}
    result["env"] = {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY")}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
