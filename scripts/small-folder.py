#!/usr/bin/python3
"""Writes a small long-tailed image folder (train/<class>/*.png, test/<class>/*.png) from Fashion-MNIST,
the shape of issue 22's folder: 134 training images in the largest class down to 13, 100 test images a
class, greyscale PNGs of SIDE x SIDE (16: 2x2-averaged to 14x14 and padded; 28 or 32: native or padded).
Usage: /usr/bin/python3 scripts/small-folder.py ROOT SIDE SEED; then train with
--Bbn:Dataset:Name=image-folder --Bbn:Dataset:Root=ROOT --Bbn:Dataset:Recipe=cifar --Bbn:Dataset:Size=SIDE"""
import gzip
import os
import struct
import sys
import zlib

import numpy as np

root, side, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def idx(path):
    data = gzip.open(path).read()
    dims = struct.unpack(">i", data[:4])[0] & 0xFF
    shape = struct.unpack(">" + "i" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def png(path, a):
    """A greyscale 8-bit PNG, without an imaging library."""
    h, w = a.shape
    raw = b"".join(b"\x00" + a[y].tobytes() for y in range(h))
    chunk = lambda t, b: struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b) & 0xffffffff)
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def shrink(x):
    """A 28x28 image at SIDE x SIDE: 2x2 means for 14 and 16, then zero padding."""
    if side in (14, 16):
        x = x.reshape(14, 2, 14, 2).mean((1, 3)).round().astype(np.uint8)
        return np.pad(x, (side - 14) // 2)
    return np.pad(x, (side - 28) // 2)


DATA = "/usr/share/datasets/fashion-mnist"
COUNTS = [134, 103, 79, 61, 47, 36, 28, 21, 16, 13]
rng = np.random.RandomState(seed)
for split, prefix, per_class in (("train", "train", COUNTS), ("test", "t10k", [100] * 10)):
    images, labels = idx(f"{DATA}/{prefix}-images-idx3-ubyte.gz"), idx(f"{DATA}/{prefix}-labels-idx1-ubyte.gz")
    for c, n in enumerate(per_class):
        ids = np.where(labels == c)[0]
        rng.shuffle(ids)
        os.makedirs(f"{root}/{split}/c{c}", exist_ok=True)
        for i in ids[:n]:
            png(f"{root}/{split}/c{c}/{i}.png", shrink(images[i]))
print(f"{root}: {sum(COUNTS)} training and 1000 test images of {side}x{side}")
