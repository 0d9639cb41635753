"""PyTorch side of the quality benchmark: one task, one process, one JSON object on stdout.

Run by bench/quality.mjs as `torch_quality.py '<spec as JSON>'`, with OPENBLAS_NUM_THREADS
and OMP_WAIT_POLICY in the environment (read when libtorch loads). The spec carries aekit's
model config; the modules below build the same layers in the same order as aekit's
src/models (dense.ts, conv.ts, vae.ts), so that torch.manual_seed gives the same initial
weights, and the loop below does what aekit's trainer (src/train/trainer.ts) does per step.
The data is read here from the same files aekit reads, independently; both sides print
a checksum of it.
"""

import gzip
import json
import math
import os
import platform
import resource
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

PIXELS = 784
LOG_2PI = math.log(2 * math.pi)


# ---- data ---------------------------------------------------------------------------------


def mnist_split(package_dir):
    """FACTS.md's split: per digit file, the first floor(80%) train, the rest test."""
    train, test = [], []
    for digit in range(10):
        with open(os.path.join(package_dir, "src", "digits", f"{digit}.json")) as f:
            pixels = np.array(json.load(f)["data"], dtype=np.float32).reshape(-1, PIXELS)
        cut = math.floor(len(pixels) * 0.8)
        train.append(pixels[:cut])
        test.append(pixels[cut:])
    return np.concatenate(train), np.concatenate(test)


def read_idx_images(path, limit):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", data[:16])
    assert magic == 0x803 and rows * cols == PIXELS, path
    n = min(n, limit) if limit else n
    values = np.frombuffer(data, dtype=np.uint8, count=n * PIXELS, offset=16)
    # Divided in float64 and rounded once to float32, as aekit's scaleUint8 does.
    return (values.astype(np.float64) / 255).astype(np.float32).reshape(n, PIXELS)


def fashion_split(directory, limits):
    def images(prefix):
        return os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz")

    train = read_idx_images(images("train"), limits.get("train"))
    test = read_idx_images(images("t10k"), limits.get("test"))
    return train, test


# ---- models: the layers of aekit's src/models, built in the same order ---------------------


def bernoulli_nll(raw, target):
    """Binary cross-entropy from logits, summed over each sample's values: [batch]."""
    return F.binary_cross_entropy_with_logits(raw, target, reduction="none").flatten(1).sum(1)


def mlp(sizes, activate_last=False):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes) or activate_last:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class DenseAutoencoder(nn.Module):
    """aekit's dense family: linear code (no activation on it), logits out."""

    def __init__(self, config):
        super().__init__()
        sizes = [PIXELS, *config.get("hidden", []), config["latentDim"]]
        self.encoder = mlp(sizes)
        self.decoder = mlp(sizes[::-1])

    def loss_terms(self, x, target):
        raw = self.decoder(self.encoder(x.flatten(1))).reshape(-1, 1, 28, 28)
        reconstruction = bernoulli_nll(raw, target)
        return reconstruction.mean(), {"reconstruction": reconstruction}


def conv_geometry(side, stages):
    multiple = 2**stages
    padded = math.ceil(side / multiple) * multiple
    before = (padded - side) // 2
    return padded, (before, padded - side - before)


def conv_encoder_body(channels, downsample):
    layers, cin = [], 1
    for out in channels:
        if downsample == "stride":
            layers += [nn.Conv2d(cin, out, 3, stride=2, padding=1), nn.ReLU()]
        else:
            layers += [nn.Conv2d(cin, out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        cin = out
    return layers


def conv_decoder_body(channels, upsample):
    layers, reversed_channels = [], channels[::-1]
    for i, cin in enumerate(reversed_channels):
        out = reversed_channels[i + 1] if i + 1 < len(reversed_channels) else reversed_channels[-1]
        if upsample == "transpose":
            up = nn.ConvTranspose2d(cin, out, 3, stride=2, padding=1, output_padding=1)
            layers += [up, nn.ReLU()]
        else:
            layers += [nn.Conv2d(cin, out, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2)]
    layers.append(nn.Conv2d(channels[0], 1, 3, padding=1))
    return layers


class ConvAutoencoder(nn.Module):
    """aekit's conv family without a dense bottleneck: the last feature map is the code."""

    def __init__(self, config):
        super().__init__()
        channels = config["channels"]
        assert config.get("denseBottleneck") is False
        padded, (self.before, self.after) = conv_geometry(28, len(channels))
        self.feature = (channels[-1], padded // 2 ** len(channels), padded // 2 ** len(channels))
        encoder = conv_encoder_body(channels, config["downsample"])
        self.encoder = nn.Sequential(*encoder, nn.Flatten())
        self.decoder = nn.Sequential(
            nn.Unflatten(1, self.feature), *conv_decoder_body(channels, config["upsample"])
        )

    def loss_terms(self, x, target):
        pads = (self.before, self.after, self.before, self.after)
        padded = F.pad(x, pads) if self.before or self.after else x
        code = self.encoder(padded)  # [batch, latentDim]
        raw = self.decoder(code).narrow(2, self.before, 28).narrow(3, self.before, 28)
        reconstruction = bernoulli_nll(raw, target)
        return reconstruction.mean(), {"reconstruction": reconstruction}


class ConvVae(nn.Module):
    """aekit's VAE with a conv body: stride-2 convs, dense mu/logvar, transposed-conv decoder."""

    def __init__(self, config):
        super().__init__()
        channels, latent = config.get("channels", [32, 64]), config["latentDim"]
        self.limit = config.get("logVarLimit", 10)
        padded, (self.before, self.after) = conv_geometry(28, len(channels))
        side = padded // 2 ** len(channels)
        feature = channels[-1] * side * side
        # Created in aekit's order: encoder body, decoder, then the two heads.
        encoder = nn.Sequential(*conv_encoder_body(channels, "stride"), nn.Flatten())
        unflatten = nn.Unflatten(1, (channels[-1], side, side))
        decoder_input = [nn.Linear(latent, feature), nn.ReLU(), unflatten]
        decoder = nn.Sequential(*decoder_input, *conv_decoder_body(channels, "transpose"))
        self.encoder = encoder
        self.to_mu = nn.Linear(feature, latent)
        self.to_logvar = nn.Linear(feature, latent)
        self.decoder = decoder

    def pad(self, x):
        return F.pad(x, (self.before, self.after) * 2) if self.before or self.after else x

    def decode_raw(self, z):
        out = self.decoder(z)
        return out.narrow(2, self.before, 28).narrow(3, self.before, 28) if self.before else out

    def posterior(self, x):
        features = self.encoder(self.pad(x))  # [batch, feature]
        return self.to_mu(features), self.to_logvar(features).clamp(-self.limit, self.limit)

    def loss_terms(self, x, target):
        mu, logvar = self.posterior(x)  # [batch, latent] each
        eps = torch.randn_like(mu)
        z = logvar.mul(0.5).exp().mul(eps).add(mu)
        reconstruction = bernoulli_nll(self.decode_raw(z), target)  # [batch]
        # KL(q(z|x) || N(0, I)), Kingma & Welling 2014, appendix B.
        kl = mu.square().add(logvar.exp()).sub(1).sub(logvar).mul(0.5).sum(1)
        return reconstruction.add(kl).mean(), {"reconstruction": reconstruction, "kl": kl}

    def log_importance_weights(self, x, k, generator):
        """log p(x, z_j) - log q(z_j | x) for k draws: [batch, k] (Burda et al. 2016)."""
        mu, logvar = self.posterior(x)
        columns = []
        for _ in range(k):
            eps = torch.randn(mu.shape, generator=generator)
            z = logvar.mul(0.5).exp().mul(eps).add(mu)
            log_likelihood = bernoulli_nll(self.decode_raw(z), x).neg()
            log_prior = z.square().add(LOG_2PI).sum(1).mul(-0.5)
            log_posterior = eps.square().add(LOG_2PI).add(logvar).sum(1).mul(-0.5)
            columns.append(log_likelihood.add(log_prior).sub(log_posterior).unsqueeze(1))
        return torch.cat(columns, 1)


def build(config):
    if config["family"] == "dense":
        return DenseAutoencoder(config)
    if config["family"] == "conv":
        return ConvAutoencoder(config)
    if config["family"] == "vae" and config.get("body") == "conv":
        return ConvVae(config)
    raise ValueError(f"no PyTorch twin for config {config}")


# ---- training: aekit's trainer, step for step ----------------------------------------------


def seed_epoch(seed, epoch, salt):
    """The per-epoch seed of aekit's trainer (seedEpoch in src/train/trainer.ts)."""
    return (seed * 1_000_003 + epoch * 7919 + salt) % 2**31


def usage_since(mark):
    """CPU time, kernel time, minor page faults and context switches since `mark`."""
    now = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "cpuSeconds": now.ru_utime + now.ru_stime - mark.ru_utime - mark.ru_stime,
        "systemSeconds": now.ru_stime - mark.ru_stime,
        "minorFaults": now.ru_minflt - mark.ru_minflt,
        "contextSwitches": {
            "voluntary": now.ru_nvcsw - mark.ru_nvcsw,
            "involuntary": now.ru_nivcsw - mark.ru_nivcsw,
        },
    }


def load_average():
    with open("/proc/loadavg") as f:
        return [float(v) for v in f.read().split()[:3]]


def train(model, inputs, spec, orders):
    optimizer = torch.optim.Adam(model.parameters(), lr=spec["learningRate"])
    n, batch_size = inputs.shape[0], spec["batchSize"]
    epochs, first_loss = [], None
    for epoch in range(spec["epochs"]):
        model.train()
        torch.manual_seed(seed_epoch(spec["seed"], epoch, 1))
        order = torch.from_numpy(orders[epoch].astype(np.int64))
        wall, mark = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        loss_total, totals = 0.0, {}
        for start in range(0, n, batch_size):
            index = order[start : start + batch_size]
            size = index.shape[0]
            target = inputs.index_select(0, index)  # [batch, 1, 28, 28]
            loss, terms = model.loss_terms(target, target)
            value = loss.item()
            if first_loss is None:
                first_loss = value
            # aekit's zeroGrad() sets gradients to None, as set_to_none=True does.
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            for name, term in terms.items():
                totals[name] = totals.get(name, 0.0) + term.mean().item() * size
            loss_total += value * size
        seconds = time.perf_counter() - wall
        line = f"pytorch {spec['task']} epoch {epoch + 1}: loss {loss_total / n}"
        print(line, file=sys.stderr, flush=True)
        epochs.append(
            {
                "epoch": epoch,
                "loss": loss_total / n,
                "terms": {name: total / n for name, total in totals.items()},
                "samplesPerSecond": n / seconds,
                "trainSeconds": seconds,
                **usage_since(mark),
                "load": load_average(),
            }
        )
    return epochs, first_loss


# ---- evaluation ---------------------------------------------------------------------------


def evaluate_loss(model, inputs, batch, seed):
    """aekit's evaluateLoss: eval mode, no gradients, seeded, mean per-sample terms."""
    model.eval()
    torch.manual_seed(seed_epoch(seed, 0, 3))
    loss_total, totals = 0.0, {}
    with torch.no_grad():
        for start in range(0, inputs.shape[0], batch):
            x = inputs.narrow(0, start, min(batch, inputs.shape[0] - start))
            loss, terms = model.loss_terms(x, x)
            loss_total += loss.item() * x.shape[0]
            for name, term in terms.items():
                totals[name] = totals.get(name, 0.0) + term.sum().item()
    n = inputs.shape[0]
    return loss_total / n, {name: total / n for name, total in totals.items()}


def importance_bounds(model, inputs, k, count, batch, seed):
    n = min(count, inputs.shape[0])
    generator = torch.Generator().manual_seed(seed)
    rows = []
    model.eval()
    with torch.no_grad():
        for start in range(0, n, batch):
            x = inputs.narrow(0, start, min(batch, n - start))
            rows.append(model.log_importance_weights(x, k, generator).double())
    weights = torch.cat(rows)  # [n, k]
    bound = (torch.logsumexp(weights, 1) - math.log(k)).mean().item()
    return {"iwaeCount": n, "k": k, "negativeElbo": -weights.mean().item(), "negativeIwae": -bound}


def checksum(values):
    """Sum of all values in float64, as bench/quality/data.mjs computes it."""
    return float(values.astype(np.float64).sum())


# ---- main ---------------------------------------------------------------------------------


def main():
    spec = json.loads(sys.argv[1])
    torch.set_num_threads(spec["threads"])
    if spec["data"] == "mnist":
        train_np, test_np = mnist_split(spec["mnistPackage"])
    else:
        train_np, test_np = fashion_split(spec["fashionDirectory"], spec.get("limits", {}))
    checksums = {"train": checksum(train_np), "test": checksum(test_np)}
    train_x = torch.from_numpy(train_np).reshape(-1, 1, 28, 28)
    test_x = torch.from_numpy(test_np).reshape(-1, 1, 28, 28)
    orders = np.fromfile(spec["orderFile"], dtype=np.int32).reshape(spec["epochs"], -1)
    assert orders.shape[1] == train_x.shape[0], "batch order file does not match the data"

    torch.manual_seed(spec["seed"])
    model = build(spec["config"])
    started = time.perf_counter()
    epochs, first_loss = train(model, train_x, spec, orders)
    train_wall = time.perf_counter() - started

    eval_started = time.perf_counter()
    evaluation = {"testCount": test_x.shape[0]}
    if spec["evaluate"] == "bce":
        loss, terms = evaluate_loss(model, test_x, spec["evalBatch"], spec["seed"])
        evaluation["bcePerPixel"] = terms["reconstruction"] / PIXELS
    elif spec["evaluate"] == "vae":
        loss, terms = evaluate_loss(model, test_x, spec["evalBatch"], spec["seed"])
        evaluation.update(negativeElboOneSample=loss, reconstruction=terms["reconstruction"])
        evaluation["kl"] = terms["kl"]
        iwae = spec["iwae"]
        k, count, batch, seed = iwae["k"], iwae["count"], iwae["batch"], iwae["seed"]
        evaluation.update(importance_bounds(model, test_x, k, count, batch, seed))
    eval_seconds = time.perf_counter() - eval_started

    print(
        json.dumps(
            {
                "contender": "pytorch",
                "task": spec["task"],
                "threads": torch.get_num_threads(),
                "blasThreads": os.environ.get("OPENBLAS_NUM_THREADS"),
                "ompWaitPolicy": os.environ.get("OMP_WAIT_POLICY"),
                "counts": {"train": train_x.shape[0], "test": test_x.shape[0]},
                "checksums": checksums,
                "firstLoss": first_loss,
                "epochs": epochs,
                "trainWallSeconds": train_wall,
                "evaluation": evaluation,
                "evalSeconds": eval_seconds,
                "versions": {
                    "torch": torch.__version__,
                    "numpy": np.__version__,
                    "python": platform.python_version(),
                },
            }
        )
    )


if __name__ == "__main__":
    main()
