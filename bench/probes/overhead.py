"""Fixed cost of one PyTorch training step apart from the kernels: the MLP autoencoder of
workload (a) shrunk to 16-8-4-8-16 on a batch of 4. Compare with overhead.mjs.

    OMP_WAIT_POLICY=passive OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/probes/overhead.py
"""

import time

import torch
import torch.nn.functional as F
from torch import nn

torch.set_num_threads(1)
torch.manual_seed(0)
model = nn.Sequential(
    nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU(),
    nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 16), nn.Sigmoid(),
)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.full((4, 16), 0.5)


def train():
    optimizer.zero_grad()
    loss = F.binary_cross_entropy(model(x), x)
    loss.backward()
    optimizer.step()
    loss.item()


def forward():
    with torch.no_grad():
        model(x)


def relu():
    with torch.no_grad():
        F.relu(x)


def timed(fn, n):
    """Microseconds per call of fn, wall and CPU, best of 5 runs of n calls."""
    for _ in range(n):
        fn()
    best = (float("inf"), float("inf"))
    for _ in range(5):
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(n):
            fn()
        wall = (time.perf_counter() - t0) * 1e6 / n
        if wall < best[0]:
            best = (wall, (time.process_time() - c0) * 1e6 / n)
    return best


for name, fn, n in [
    ("train step", train, 2000),
    ("train, foreach Adam", None, 2000),
    ("forward (no grad)", forward, 5000),
    ("zero_grad", optimizer.zero_grad, 5000),
    ("one relu", relu, 20000),
]:
    if fn is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True)
        fn = train
    wall, cpu = timed(fn, n)
    print(f"torch {name:<20} {wall:.1f} us wall, {cpu:.1f} us CPU")
