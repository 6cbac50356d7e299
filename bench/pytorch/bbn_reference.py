#!/usr/bin/python3
"""BBN ResNet-32 on Fashion-MNIST-LT in PyTorch, after the official Megvii-Nanjing/BBN code
(res32_cifar.py, combiner.bbn_mix, WarmupMultiStepLR), used as the peer for sanity and speed
comparisons. Run with Debian's python3-torch: /usr/bin/python3 bench/pytorch/bbn_reference.py --help
"""
import argparse
import gzip
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.init as init


def _weights_init(m):
    if isinstance(m, (nn.Linear, nn.Conv2d)):
        init.kaiming_normal_(m.weight)


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.pad = planes // 4 if (stride != 1 or in_planes != planes) else None

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.pad is None else F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad), "constant", 0)
        return F.relu(out + shortcut)


class BBNResNet32(nn.Module):
    def __init__(self, in_channels, num_classes, bilateral=True):
        super().__init__()
        self.in_planes = 16
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = self._make_layer(16, 5, 1)
        self.layer2 = self._make_layer(32, 5, 2)
        self.layer3 = self._make_layer(64, 4, 2)
        self.cb_block = BasicBlock(64, 64, 1)
        self.rb_block = BasicBlock(64, 64, 1) if bilateral else None
        self.apply(_weights_init)
        self.classifier = nn.Linear(128 if bilateral else 64, num_classes, bias=True)

    def _make_layer(self, planes, blocks, stride):
        layers = []
        for s in [stride] + [1] * (blocks - 1):
            layers.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def trunk(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        return self.layer3(self.layer2(self.layer1(x)))

    def features(self, x, branch):
        block = self.cb_block if branch == "cb" else self.rb_block
        return block(self.trunk(x)).mean(dim=(2, 3))

    def forward(self, x):
        t = self.trunk(x)
        f = self.cb_block(t).mean(dim=(2, 3))
        if self.rb_block is not None:
            f = torch.cat([f, self.rb_block(t).mean(dim=(2, 3))], dim=1)
        return self.classifier(f)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">i", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "i" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(root, split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz")).astype(np.int64)
    images = np.pad(images, ((0, 0), (2, 2), (2, 2)))[:, None, :, :]
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.copy())


def long_tail(labels, ratio, seed):
    classes = int(labels.max()) + 1
    n_max = int((labels == 0).sum())
    rng = np.random.RandomState(seed)
    keep = []
    for c in range(classes):
        n = int(math.floor(n_max * (1.0 / ratio) ** (c / (classes - 1))))
        idx = np.where(labels.numpy() == c)[0]
        rng.shuffle(idx)
        keep.extend(idx[:n].tolist())
    return torch.tensor(keep)


MEAN, STD = 0.2190, 0.3317


def augment(images, rng, pad=4):
    n, c, h, w = images.shape
    padded = F.pad(images, (pad, pad, pad, pad))
    oy = torch.from_numpy(rng.randint(0, 2 * pad + 1, n))
    ox = torch.from_numpy(rng.randint(0, 2 * pad + 1, n))
    rows = (oy[:, None] + torch.arange(h)).view(n, 1, h, 1).expand(n, c, h, w + 2 * pad)
    cols = (ox[:, None] + torch.arange(w)).view(n, 1, 1, w).expand(n, c, h, w)
    out = padded.gather(2, rows).gather(3, cols)
    flip = torch.from_numpy(rng.randint(0, 2, n).astype(bool)).view(n, 1, 1, 1)
    out = torch.where(flip, out.flip(3), out)
    return (out.float() / 255.0 - MEAN) / STD


def reversed_order(labels, rng):
    counts = np.bincount(labels.numpy())
    weights = counts.max() / counts
    p = weights / weights.sum()
    by_class = [np.where(labels.numpy() == c)[0] for c in range(len(counts))]
    classes = rng.choice(len(counts), size=len(labels), p=p)
    return np.array([by_class[c][rng.randint(len(by_class[c]))] for c in classes])


DEVICE = torch.device("cpu")


def train_step(model, opt, images, labels, ic, ir, alpha, rng):
    """One step of the official combiner bbn_mix (conventional indices ic, re-balancing indices ir),
    or with ir None a plain cross-entropy step of the conventional branch; returns the loss.
    The batch is augmented on the CPU and copied to DEVICE (--device), as the host's in-memory path does."""
    xc, yc = augment(images[ic], rng).to(DEVICE, non_blocking=True), labels[ic].to(DEVICE, non_blocking=True)
    if ir is not None:
        xr, yr = augment(images[ir], rng).to(DEVICE, non_blocking=True), labels[ir].to(DEVICE, non_blocking=True)
        f = 2 * torch.cat([alpha * model.features(xc, "cb"), (1 - alpha) * model.features(xr, "rb")], 1)
        z = model.classifier(f)
        loss = alpha * F.cross_entropy(z, yc) + (1 - alpha) * F.cross_entropy(z, yr)
    else:
        loss = F.cross_entropy(model.classifier(model.features(xc, "cb")), yc)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--method", default="bbn", choices=["bbn", "single-branch"])
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--steps", type=int, default=0, help="steps per epoch, 0 = all")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--device", default="cpu", help="cpu or cuda (the GPU check runs the twin on the same GPU as the host)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--manifest", help="a host run's manifest.json: train on exactly its subset")
    ap.add_argument("--summary", help="write the run's speed and memory here as JSON")
    args = ap.parse_args()
    global DEVICE
    DEVICE = torch.device(args.device)
    wall = time.perf_counter()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.RandomState(args.seed)
    images, labels = load(args.root, "train")
    if args.manifest:
        with open(args.manifest) as f:
            keep = torch.tensor([i for per_class in json.load(f)["images"] for i in per_class])
    else:
        keep = long_tail(labels, 100, args.seed)
    images, labels = images[keep], labels[keep]
    test_images, test_labels = load(args.root, "test")
    bilateral = args.method == "bbn"
    model = BBNResNet32(1, 10, bilateral).to(DEVICE)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=2e-4, nesterov=True)
    step_seconds, images_seen, rates = 0.0, 0, []
    for epoch in range(1, args.epochs + 1):
        warm = 1.0 if epoch >= args.warmup else (1 / 3) * (1 - epoch / args.warmup) + epoch / args.warmup
        for g in opt.param_groups:
            g["lr"] = args.lr * warm
        alpha = 1 - ((epoch - 1) / args.epochs) ** 2 if bilateral else 1.0
        conv = rng.permutation(len(labels))
        reb = reversed_order(labels, rng) if bilateral else None
        steps = len(labels) // args.batch
        if args.steps:
            steps = min(steps, args.steps)
        model.train()
        start, total, epoch_seconds = time.time(), 0.0, 0.0
        for s in range(steps):
            ic = torch.from_numpy(conv[s * args.batch:(s + 1) * args.batch])
            ir = torch.from_numpy(reb[s * args.batch:(s + 1) * args.batch]) if bilateral else None
            # Timed as the host times a step (batch drawing and augmentation included, evaluation not).
            step_start = time.perf_counter()
            total += train_step(model, opt, images, labels, ic, ir, alpha, rng)
            if DEVICE.type == "cuda":
                torch.cuda.synchronize()
            epoch_seconds += time.perf_counter() - step_start
            if (s + 1) % args.log_every == 0:
                ips = (s + 1) * args.batch * (2 if bilateral else 1) / (time.time() - start)
                print(f"epoch {epoch} step {s + 1}/{steps} loss {total / (s + 1):.4f} {ips:.0f} img/s", flush=True)
        epoch_images = steps * args.batch * (2 if bilateral else 1)
        step_seconds += epoch_seconds
        images_seen += epoch_images
        rates.append(epoch_images / epoch_seconds)
        model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(test_labels), 500):
                x = (test_images[i:i + 500].float() / 255.0 - MEAN) / STD
                correct += (model(x.to(DEVICE)).argmax(1).cpu() == test_labels[i:i + 500]).sum().item()
        print(json.dumps({"epoch": epoch, "alpha": alpha, "lr": args.lr * warm, "loss": total / steps,
                          "top1": correct / len(test_labels)}), flush=True)
    if args.summary:
        with open("/proc/self/status") as f:
            peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
        with open(args.summary, "w") as f:
            json.dump({"images_per_second": images_seen / step_seconds, "images_per_second_per_epoch": rates,
                       "training_seconds": step_seconds, "wall_seconds": time.perf_counter() - wall,
                       "peak_rss_mib": peak, "threads": torch.get_num_threads(), "top1": correct / len(test_labels),
                       "training_images": len(labels), "version": torch.__version__, "device": str(DEVICE),
                       "gpu_peak_mib": torch.cuda.max_memory_allocated() / 2**20 if DEVICE.type == "cuda" else None}, f)


if __name__ == "__main__":
    main()
