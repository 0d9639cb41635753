"""Baselines for the task benchmarks, run by bench/tasks/*.mjs with a JSON request on stdin.

- denoise: 3x3 median filter, Gaussian blur and non-local means (OpenCV's
  fastNlMeansDenoising, Buades, Coll and Morel 2005), each with its parameter chosen by PSNR
  on validation images, then applied to the test images; outputs written as .npy.
- pca: a 2-D PCA map fitted on training images, and the time to map new images.
- anomaly: Isolation Forest (Liu, Ting and Zhou 2008; scikit-learn) and PCA reconstruction
  error, fitted on the normal training images, scores of the test images written as .npy.

Arrays are float32 .npy files of shape [n, 1, 28, 28] with values in [0, 1].
"""

import json
import os
import sys
import time

import numpy as np


def psnr(clean, other):
    mse = ((clean - other) ** 2).reshape(len(clean), -1).mean(axis=1)
    return float(np.mean(10 * np.log10(1.0 / np.maximum(mse, 1e-12))))


def denoise_with(method, param, images):
    import cv2

    out = np.empty_like(images)
    for i, image in enumerate(images[:, 0]):
        if method == "median":
            out[i, 0] = cv2.medianBlur(image.astype(np.float32), 3)
        elif method == "gaussian-blur":
            out[i, 0] = cv2.GaussianBlur(image.astype(np.float32), (0, 0), sigmaX=param)
        elif method == "nl-means":
            as_bytes = np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)
            cleaned = cv2.fastNlMeansDenoising(as_bytes, None, h=param, templateWindowSize=7,
                                               searchWindowSize=21)
            out[i, 0] = cleaned.astype(np.float32) / 255
    return out


PARAMETERS = {
    "median": [None],
    "gaussian-blur": [0.5, 0.7, 0.9, 1.1, 1.3, 1.6, 2.0, 2.5],
    "nl-means": [5, 10, 15, 20, 30, 40, 55, 70, 90, 120],
}


def denoise(request):
    noisy = np.load(request["noisy"])
    val_noisy = np.load(request["validationNoisy"])
    val_clean = np.load(request["validationClean"])
    answer = {}
    for method, params in PARAMETERS.items():
        scored = [(psnr(val_clean, denoise_with(method, p, val_noisy)), p) for p in params]
        best_psnr, best = max(scored, key=lambda pair: pair[0])
        started = time.time()
        out = denoise_with(method, best, noisy)
        seconds = time.time() - started
        file = os.path.join(request["outDir"], f"{request['tag']}-{method}.npy")
        np.save(file, out.astype(np.float32))
        answer[method] = {"parameter": best, "validationPsnr": best_psnr, "file": file,
                          "seconds": seconds}
    return answer


def anomaly(request):
    from sklearn.decomposition import PCA
    from sklearn.ensemble import IsolationForest

    train = np.load(request["train"]).reshape(-1, 784).astype(np.float64)
    test = np.load(request["test"]).reshape(-1, 784).astype(np.float64)
    answer = {}
    forest = IsolationForest(n_estimators=100, random_state=request.get("seed", 0)).fit(train)
    np.save(request["out"] + "-iforest.npy", (-forest.score_samples(test)).astype(np.float64))
    answer["iforest"] = request["out"] + "-iforest.npy"
    for components in request["pcaComponents"]:
        pca = PCA(n_components=min(components, len(train) - 1), random_state=0).fit(train)
        rebuilt = pca.inverse_transform(pca.transform(test))
        error = ((test - rebuilt) ** 2).sum(axis=1)
        file = request["out"] + f"-pca{components}.npy"
        np.save(file, error.astype(np.float64))
        answer[f"pca{components}"] = file
    return answer


def pca_map(request):
    from sklearn.decomposition import PCA

    train = np.load(request["train"]).reshape(-1, 784)
    test = np.load(request["test"]).reshape(-1, 784)
    timed = np.load(request["timed"]).reshape(-1, 784)
    pca = PCA(n_components=request.get("components", 2), random_state=0).fit(train)
    np.save(request["out"] + "-train.npy", pca.transform(train).astype(np.float32))
    np.save(request["out"] + "-test.npy", pca.transform(test).astype(np.float32))
    started = time.time()
    pca.transform(timed)
    return {"train": request["out"] + "-train.npy", "test": request["out"] + "-test.npy",
            "embedSeconds": time.time() - started}


def tsne_map(request):
    """Non-parametric t-SNE of training and held-out points together (it maps no new points),
    as a reference for what a parametric map could reach on the same points."""
    from sklearn.manifold import TSNE

    train = np.load(request["train"]).reshape(-1, 784)
    test = np.load(request["test"]).reshape(-1, 784)
    started = time.time()
    both = TSNE(n_components=2, perplexity=30, init="pca", learning_rate="auto",
                random_state=0, n_jobs=1).fit_transform(np.concatenate([train, test]))
    seconds = time.time() - started
    np.save(request["out"] + "-train.npy", both[: len(train)].astype(np.float32))
    np.save(request["out"] + "-test.npy", both[len(train):].astype(np.float32))
    return {"train": request["out"] + "-train.npy", "test": request["out"] + "-test.npy",
            "fitSeconds": seconds}


def main():
    request = json.load(sys.stdin)
    task = {"denoise": denoise, "anomaly": anomaly, "pca": pca_map, "tsne": tsne_map}[request["task"]]
    json.dump(task(request), sys.stdout)


if __name__ == "__main__":
    main()
