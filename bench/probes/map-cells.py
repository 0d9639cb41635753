# Can a parametric map place held-out images as sharply as a nearest-neighbour lookup does?
#
# A smooth encoder regressed onto t-SNE's training coordinates maps held-out Fashion-MNIST
# images to about 0.72 5-NN accuracy on 10,000 training images, where placing each at its
# nearest training image's t-SNE position gives 0.80: the t-SNE map splits pixel
# neighbourhoods into fragments, and a squared-error fit lands an uncertain image between
# them. This probe compares, with the same network body (784-500-500-2000):
#   - regression: 2 outputs, squared error onto the t-SNE coordinates;
#   - cells: k-means cells of the t-SNE map, the network classifies each image into its cell
#     (cross-entropy), and the map is the softmax-weighted mean of the cells' centres at a
#     temperature T (lower: sharper choices).
# Inputs are the scratch files map-sweep.mjs writes (run it with --save-codes 1 and
# --reference tsne first). PyTorch and scikit-learn, as a probe; not part of aekit.
#
#   /usr/bin/python3 bench/probes/map-cells.py [--cells 200,1000] [--epochs 30]
#     [--target tsne-train.npy] [--train train.npy] [--test test.npy] (files in the scratch folder)
import argparse
import gzip
import time

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.manifold import trustworthiness
from sklearn.neighbors import KNeighborsClassifier

p = argparse.ArgumentParser()
p.add_argument('--cells', default='200,1000')
p.add_argument('--epochs', type=int, default=30)
p.add_argument('--target', default='tsne-train.npy')
p.add_argument('--train', default='train.npy')
p.add_argument('--test', default='test.npy')
p.add_argument('--temperatures', default='1,0.3,0.1')
p.add_argument('--skip-regression', action='store_true')
p.add_argument('--threads', type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)

d = 'bench/results/tasks/map-sweep/'
target = np.load(d + a.target).astype(np.float32)
n = len(target)
xtr = np.load(d + a.train).reshape(-1, 784)[:n].astype(np.float32)
xte = np.load(d + a.test).reshape(-1, 784).astype(np.float32)


def labels(name, count):
    with gzip.open(f'/usr/share/datasets/fashion-mnist/{name}-labels-idx1-ubyte.gz') as f:
        return np.frombuffer(f.read(), np.uint8)[8:8 + count].astype(int)


ytr = labels('train', n)
yte = labels('t10k', len(xte))


def score(name, ctr, cte):
    knn = KNeighborsClassifier(5).fit(ctr, ytr).score(cte, yte)
    trust = trustworthiness(xte, cte, n_neighbors=5)
    print(f'{name}: held-out 5-NN {knn:.4f} trust {trust:.4f}', flush=True)


def body(out):
    return torch.nn.Sequential(
        torch.nn.Linear(784, 500), torch.nn.ReLU(),
        torch.nn.Linear(500, 500), torch.nn.ReLU(),
        torch.nn.Linear(500, 2000), torch.nn.ReLU(),
        torch.nn.Linear(2000, out))


def fit(net, lossf, y):
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, a.epochs)
    X = torch.from_numpy(xtr)
    for epoch in range(a.epochs):
        order = torch.randperm(n)
        for s in range(0, n, 64):
            i = order[s:s + 64]
            loss = lossf(net(X[i]), y[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    return net


t0 = time.time()
# Reference points: the t-SNE map itself, and each held-out image at its nearest training
# image's position (not parametric).
nearest = np.concatenate([
    np.argmin(-2 * xte[s:s + 1000] @ xtr.T + (xtr ** 2).sum(1)[None], axis=1)
    for s in range(0, len(xte), 1000)])
score('pixel 1-NN lookup (not parametric)', target, target[nearest])

if not a.skip_regression:
    scale = target.std()
    net = fit(body(2), lambda out, y: ((out - y) ** 2).mean(), torch.from_numpy(target / scale))
    with torch.no_grad():
        codes = [net(torch.from_numpy(x)).numpy() for x in (xtr, xte)]
    score('regression', *codes)
    print(f'  {time.time() - t0:.0f} s', flush=True)

for m in [int(c) for c in a.cells.split(',')]:
    km = KMeans(m, n_init=1, random_state=0).fit(target)
    centres = torch.from_numpy(km.cluster_centers_.astype(np.float32))
    net = fit(body(m), torch.nn.functional.cross_entropy, torch.from_numpy(km.labels_).long())
    with torch.no_grad():
        ltr = net(torch.from_numpy(xtr))
        lte = net(torch.from_numpy(xte))
    for t in [float(v) for v in a.temperatures.split(',')]:
        place = lambda logits: (torch.softmax(logits / t, 1) @ centres).numpy()
        score(f'cells {m}, T {t}', place(ltr), place(lte))
    print(f'  {time.time() - t0:.0f} s', flush=True)
