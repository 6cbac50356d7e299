#!/usr/bin/python3
"""Pretrains torchvision's ResNet-18 on Fashion-MNIST labels 0-4 (balanced, 1,200 images each, 32x32, each image tinted with a
random colour as scripts/small-folders.py does) and saves its state_dict as torchvision's model zoo does, for the
pretrained-start experiment (scripts/pretrained-start.sh). Normalised with ImageNet's mean and deviation, as the framework's
image folders are. Usage: /usr/bin/python3 scripts/pretrain-resnet18.py OUT.pth [EPOCHS]"""
import gzip
import struct
import sys

import numpy as np
import torch
import torchvision

out = sys.argv[1]
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 8
torch.manual_seed(0)
rng = np.random.RandomState(0)


def idx(path):
    data = gzip.open(path).read()
    dims = struct.unpack(">i", data[:4])[0] & 0xFF
    shape = struct.unpack(">" + "i" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


data = "/usr/share/datasets/fashion-mnist"
images, labels = idx(f"{data}/train-images-idx3-ubyte.gz"), idx(f"{data}/train-labels-idx1-ubyte.gz")
chosen = np.concatenate([rng.permutation(np.where(labels == c)[0])[:1200] for c in range(5)])
x = np.pad(images[chosen], ((0, 0), (2, 2), (2, 2))).astype(np.float32) / 255
tint = rng.uniform(0.3, 1.0, size=(len(chosen), 3, 1, 1)).astype(np.float32)
x = torch.from_numpy(x[:, None] * tint)
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
x = (x - mean) / std
y = torch.from_numpy(labels[chosen].astype(np.int64))
model = torchvision.models.resnet18(num_classes=5)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True)
steps = epochs * (len(x) // 128)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=steps)
model.train()
for epoch in range(epochs):
    order = torch.randperm(len(x))
    total = 0.0
    for b in range(len(x) // 128):
        batch = order[b * 128:(b + 1) * 128]
        images_b = x[batch]
        # pad 4 and random crop, and flip, as the fine-tuning's cifar recipe does
        padded = torch.nn.functional.pad(images_b, (4, 4, 4, 4))
        i, j = np.random.randint(0, 9, size=2)
        images_b = padded[:, :, i:i + 32, j:j + 32]
        if np.random.rand() < 0.5:
            images_b = images_b.flip(3)
        loss = torch.nn.functional.cross_entropy(model(images_b), y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        total += loss.item()
    print(f"epoch {epoch + 1}: loss {total / (len(x) // 128):.3f}", flush=True)
torch.save(model.state_dict(), out)
print(f"saved {out}")
