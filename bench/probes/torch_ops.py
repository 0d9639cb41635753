"""ATen operators per PyTorch training step of a workload, from torch.autograd.profiler:
how many of each, and the self CPU time they took. The counterpart of calls.mjs.

    OMP_WAIT_POLICY=passive OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/probes/torch_ops.py mlp
"""

import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "workers"))
import torch_worker  # noqa: E402

workload = sys.argv[1] if len(sys.argv) > 1 else "mlp"
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
torch.set_num_threads(int(os.environ.get("THREADS", "1")))
torch.manual_seed(0)
spec = torch_worker.WORKLOADS[workload]
model = spec["model"]()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.full((spec["batch"], 1, 28, 28), 0.5)


def step():
    optimizer.zero_grad()
    if workload == "vae":
        logits, mu, logvar = model(x)
        loss = torch_worker.vae_loss(logits, x, mu, logvar)
    else:
        loss = F.binary_cross_entropy(model(x), x)
    loss.backward()
    optimizer.step()
    return loss.item()


for _ in range(5):
    step()
t0 = time.perf_counter()
for _ in range(steps):
    step()
plain_ms = (time.perf_counter() - t0) * 1000 / steps

with torch.autograd.profiler.profile() as prof:
    for _ in range(steps):
        step()
events = prof.key_averages()
top_level = [e for e in events if e.key.startswith("aten::")]
total_self_ms = sum(e.self_cpu_time_total for e in events) / 1000 / steps
print(f"{workload}: {steps} steps, batch {spec['batch']}, {torch.get_num_threads()} threads")
print(f"wall per step without profiler: {plain_ms:.3f} ms; self CPU of all events: "
      f"{total_self_ms:.3f} ms")
print(f"aten events per step (nested calls included): {sum(e.count for e in top_level) / steps:.1f}")
for e in sorted(top_level, key=lambda e: -e.self_cpu_time_total)[:25]:
    print(f"  {e.key:<40} {e.count / steps:6.1f} calls  {e.self_cpu_time_total / 1000 / steps:8.3f} ms self")
