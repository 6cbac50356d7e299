#!/usr/bin/python3
"""Writes one of the small-data benchmark's long-tailed image folders (train/<class>/*.png, test/<class>/*.png and,
where the set has one, val/<class>/*.png) from Fashion-MNIST, the data every machine here has.
Usage: /usr/bin/python3 scripts/small-folders.py ROOT SET [SEED]; SET is one of the names below; or "list", or "check"
(exit 1 if two classes of a set would show the same label the same way).

Classes beyond Fashion-MNIST's ten are a label seen in a fixed orientation (class k is label k mod 10 rotated by
90 degrees times (k div 10) mod 4, and inverted, white on black turned black on white, where k div 10 is 4 or more), so a
50-class set is still a classification of distinct images. (Until 2026-12-06 classes 40-49 were rotated by 360 degrees:
the same images as classes 0-9, ten pairs no classifier could tell apart.) Colour sets tint each
image with a hue drawn per image, so colour carries no label. Training counts fall exponentially from HEAD to
HEAD/IMBALANCE; test and val/ folders are balanced."""
import gzip
import os
import struct
import sys
import zlib

import numpy as np

# name: (classes, head, imbalance, side, colour, val per class (0: no val/ folder), test per class[, first label])
SETS = {
    "grey10-ir10": (10, 134, 10, 28, False, 0, 40),     # the shape of issue 35's folder: 546 images, no val/
    "grey10-ir100": (10, 600, 100, 28, False, 0, 40),   # a steep tail: 1,489 images, 6 in the smallest class
    "colour5-ir20": (5, 120, 20, 32, True, 0, 60),      # tiny and colour: 223 images
    "colour10-ir50-val": (10, 800, 50, 32, True, 20, 40),  # with its own val/ folder: 2,240 images
    "grey50-ir20": (50, 60, 20, 28, False, 0, 12),      # many classes, 60 to 3 images each: 968 images
    "colour20-ir10-val": (20, 300, 10, 32, True, 10, 20),  # 20 classes, val/ folder: 2,396 images
    # The pretrained-start experiment's target: labels 5-9, which the pretraining (labels 0-4) never saw.
    "colour5-ir20-labels5to9": (5, 150, 20, 32, True, 0, 60, 5),
}


def idx(path):
    data = gzip.open(path).read()
    dims = struct.unpack(">i", data[:4])[0] & 0xFF
    shape = struct.unpack(">" + "i" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def png(path, a):
    """An 8-bit greyscale (H x W) or RGB (H x W x 3) PNG, without an imaging library."""
    h, w = a.shape[:2]
    colour = a.ndim == 3
    raw = b"".join(b"\x00" + a[y].tobytes() for y in range(h))
    chunk = lambda t, b: struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b) & 0xffffffff)
    header = struct.pack(">IIBBBBB", w, h, 8, 2 if colour else 0, 0, 0, 0)
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def counts(classes, head, imbalance):
    return [max(1, int(round(head * imbalance ** (-c / max(1, classes - 1))))) for c in range(classes)]


def view(k):
    """How class k shows its label: quarter turns, and whether inverted."""
    return (k // 10) % 4, k // 10 >= 4


def distinct(name):
    """Whether no two classes of the set show the same label the same way (the same images: no classifier could tell them apart)."""
    classes, first = SETS[name][0], (SETS[name][7] if len(SETS[name]) > 7 else 0)
    return len({((k + first) % 10, view(k)) for k in range(classes)}) == classes


def image(x, k, side, colour, rng):
    turns, inverted = view(k)
    x = np.rot90(x, turns)
    if inverted:
        x = 255 - x
    x = np.pad(x, (side - 28) // 2)
    if not colour:
        return np.ascontiguousarray(x)
    tint = rng.uniform(0.3, 1.0, size=3)
    return np.ascontiguousarray((x[..., None] * tint).round().astype(np.uint8))


def main():
    if sys.argv[1:2] == ["check"]:
        twins = [name for name in SETS if not distinct(name)]
        print(f"sets with two classes of the same images: {', '.join(twins)}" if twins else f"{len(SETS)} sets, every class distinct")
        sys.exit(1 if twins else 0)
    if sys.argv[1:2] == ["list"]:
        for name, (classes, head, imbalance, side, colour, val, test, *_) in SETS.items():
            print(f"{name}: {classes} classes, {sum(counts(classes, head, imbalance))} training images ({head} to {counts(classes, head, imbalance)[-1]}), "
                  f"{side}x{side} {'colour' if colour else 'greyscale'}, {'val/ ' + str(val) + ' a class' if val else 'no val/'}, test {test} a class")
        return
    root, name = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    classes, head, imbalance, side, colour, val, test, *first = SETS[name]
    assert distinct(name), f"{name}: two of its classes would hold the same images"
    offset = first[0] if first else 0
    rng = np.random.RandomState(seed)
    data = "/usr/share/datasets/fashion-mnist"
    train_images, train_labels = idx(f"{data}/train-images-idx3-ubyte.gz"), idx(f"{data}/train-labels-idx1-ubyte.gz")
    test_images, test_labels = idx(f"{data}/t10k-images-idx3-ubyte.gz"), idx(f"{data}/t10k-labels-idx1-ubyte.gz")
    per_label = classes // 10 if classes >= 10 else 1
    for k, n in enumerate(counts(classes, head, imbalance)):
        label = (k + offset) % 10
        # Each of a label's orientations draws from its own share of the label's images, so no image is in two classes.
        ids = np.where(train_labels == label)[0]
        rng.shuffle(ids)
        share = len(ids) // per_label
        own = ids[(k // 10) * share:(k // 10 + 1) * share]
        splits = [("train", own[:n], train_images)]
        if val:
            splits.append(("val", own[n:n + val], train_images))
        tids = np.where(test_labels == label)[0]
        rng.shuffle(tids)
        tshare = len(tids) // per_label
        splits.append(("test", tids[(k // 10) * tshare:(k // 10) * tshare + test], test_images))
        for split, chosen, source in splits:
            folder = f"{root}/{split}/c{k:02d}"
            os.makedirs(folder, exist_ok=True)
            for i in chosen:
                png(f"{folder}/{i}.png", image(source[i], k, side, colour, rng))
    print(f"{root}: {name}, {sum(counts(classes, head, imbalance))} training images")


main()
