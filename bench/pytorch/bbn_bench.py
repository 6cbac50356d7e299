#!/usr/bin/python3
"""The PyTorch side of bench/run.sh: the same measurements as bench/Bbn.Bench on the same network
(the official BBN ResNet-32 of bbn_reference.py: two forward passes per step, the bbn_mix combiner,
SGD momentum 0.9 nesterov, weight decay 2e-4), batch 128, random CIFAR-10-LT-shaped uint8 data with
the same random crop + flip + normalisation on tensors. Prints one JSON object."""
import argparse
import json
import time

import numpy as np
import torch

from bbn_reference import BBNResNet32, augment, reversed_order, train_step

MEAN = torch.tensor([0.4914, 0.4822, 0.4465]).view(1, 3, 1, 1)
STD = torch.tensor([0.2023, 0.1994, 0.2010]).view(1, 3, 1, 1)


def rss_mib():
    with open("/proc/self/statm") as f:
        return round(int(f.read().split()[1]) * 4096 / 2**20, 1)


def vm_hwm_mib():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024


EARLIER_PEAK = [0.0]


def epoch_peak_rss_mib():
    """VmHWM, the peak resident memory since the last call (Linux 4.0+: "5" to clear_refs resets it)."""
    peak = vm_hwm_mib()
    EARLIER_PEAK[0] = max(EARLIER_PEAK[0], peak)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return round(peak, 1)


def peak_rss_mib():
    """The whole process's peak, across epoch_peak_rss_mib's resets."""
    return max(EARLIER_PEAK[0], vm_hwm_mib())



def train(method, images, labels, epochs, steps, batch, rng):
    bilateral = method == "bbn"
    model = BBNResNet32(3, 10, bilateral)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=2e-4, nesterov=True)
    model.train()
    rates, rss, peaks = [], [], []
    for epoch in range(1, epochs + 1):
        alpha = 1 - ((epoch - 1) / epochs) ** 2 if bilateral else 1.0
        conv = rng.permutation(len(labels))
        reb = reversed_order(labels, rng) if bilateral else None
        seconds = 0.0
        for s in range(steps):
            start = time.perf_counter()
            ic = torch.from_numpy(conv[s * batch:(s + 1) * batch])
            ir = torch.from_numpy(reb[s * batch:(s + 1) * batch]) if bilateral else None
            train_step(model, opt, images, labels, ic, ir, alpha, rng)
            seconds += time.perf_counter() - start
        rates.append(steps * batch * (2 if bilateral else 1) / seconds)
        rss.append(rss_mib())
        peaks.append(epoch_peak_rss_mib())
    return model, rates, rss, peaks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--single-epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--eval-images", type=int, default=2000)
    ap.add_argument("--max-per-class", type=int, default=5000)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    counts = [int(args.max_per_class * (1 / 100) ** (i / 9)) for i in range(10)]
    labels = torch.tensor(np.concatenate([np.full(n, c) for c, n in enumerate(counts)]), dtype=torch.int64)
    images = torch.randint(0, 256, (len(labels), 3, 32, 32), dtype=torch.uint8)

    model, bbn_rates, bbn_rss, bbn_peaks = train("bbn", images, labels, args.epochs, args.steps, args.batch, rng)
    bbn_ips = float(np.median(bbn_rates[1:]))
    _, single_rates, _, _ = train("single-branch", images, labels, args.single_epochs, args.steps, args.batch, rng)

    model.eval()
    test = images[:args.eval_images]
    with torch.no_grad():  # warm-up, as the TorchSharp side has evaluated after every epoch
        model((test[:500].float() / 255.0 - MEAN) / STD)
    start = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(test), 500):
            x = (test[i:i + 500].float() / 255.0 - MEAN) / STD
            model(x).argmax(1)
    eval_ips = len(test) / (time.perf_counter() - start)

    order = torch.arange(len(labels))
    for _ in range(5):
        augment(images[order[:args.batch]], rng)
    start = time.perf_counter()
    repeats = 50
    for r in range(repeats):
        s = (r * args.batch) % (len(labels) - args.batch)
        augment(images[order[s:s + args.batch]], rng)
        augment(images[order[(s + args.batch) % (len(labels) - args.batch):][:args.batch]], rng)
    pipeline_step = (time.perf_counter() - start) / repeats

    n = 2048
    a, b = torch.randn(n, n), torch.randn(n, n)
    start = time.perf_counter()
    a.mm(b)
    # Debian's generic BLAS takes seconds per product: as many repeats as fit in ~3 s, 10 at most.
    repeats = max(2, min(10, int(3 / (time.perf_counter() - start))))
    start = time.perf_counter()
    for _ in range(repeats):
        a.mm(b)
    gflops = 2 * n ** 3 * repeats / (time.perf_counter() - start) / 1e9
    # The same 3x3 convolution as the TorchSharp side's (256 channels, 64 16x16 maps), through oneDNN.
    with torch.no_grad():
        x, w = torch.randn(64, 256, 16, 16), torch.randn(256, 256, 3, 3)
        for _ in range(2):
            torch.nn.functional.conv2d(x, w, padding=1)
        start = time.perf_counter()
        for _ in range(10):
            torch.nn.functional.conv2d(x, w, padding=1)
        conv_gflops = 2 * 64 * 16 * 16 * 256 * 256 * 9 * 10 / (time.perf_counter() - start) / 1e9

    step_seconds = args.batch * 2 / bbn_ips
    print(json.dumps({
        "side": "pytorch", "version": torch.__version__, "threads": torch.get_num_threads(), "batch": args.batch,
        "bbn_images_per_second": bbn_ips, "bbn_rss_mib_per_epoch": bbn_rss, "bbn_peak_rss_mib_per_epoch": bbn_peaks, "bbn_step_seconds": step_seconds,
        "single_images_per_second": float(np.median(single_rates[1:])), "eval_images_per_second": eval_ips,
        "pipeline_images_per_second": 2 * args.batch / pipeline_step, "pipeline_share_of_bbn_step": pipeline_step / step_seconds,
        "peak_rss_mib": peak_rss_mib(), "matmul_gflops": gflops, "conv3x3_gflops": conv_gflops,
    }))


if __name__ == "__main__":
    main()
