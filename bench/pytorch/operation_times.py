#!/usr/bin/python3
"""The PyTorch twin of `Bbn.Bench --ops`: each ResNet-32 layer of a BBN step at batch 128 (3x3
convolution, batch norm, ReLU, residual add at each stage's shape), forward and forward + backward,
in ms. Usage: /usr/bin/python3 bench/pytorch/operation_times.py [nchw|channels-last] [threads]"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = [(16, 16, 32, 1), (16, 32, 32, 2), (32, 32, 16, 1), (32, 64, 16, 2), (64, 64, 8, 1)]


def timed(f, repeats=20):
    for _ in range(3):
        f()
    start = time.perf_counter()
    for _ in range(repeats):
        f()
    return (time.perf_counter() - start) / repeats * 1000


def main():
    channels_last = len(sys.argv) > 1 and sys.argv[1] == "channels-last"
    torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
    torch.manual_seed(0)
    for cin, cout, side, stride in SHAPES:
        conv = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        bn = nn.BatchNorm2d(cout)
        x = torch.randn(128, cin, side, side)
        if channels_last:
            conv = conv.to(memory_format=torch.channels_last)
            x = x.contiguous(memory_format=torch.channels_last)
        x.requires_grad_()
        with torch.no_grad():
            g = torch.randn_like(conv(x))
        y = g.detach().clone().requires_grad_()

        def conv_forward():
            with torch.no_grad():
                conv(x)

        print(f"{cin}->{cout}@{side}/s{stride}: "
              f"conv f {timed(conv_forward):.2f} f+b {timed(lambda: conv(x).backward(g)):.2f} | "
              f"bn f {timed(lambda: bn(y)):.2f} f+b {timed(lambda: bn(y).backward(g)):.2f} | "
              f"relu f {timed(lambda: F.relu(y)):.2f} f+b {timed(lambda: F.relu(y).backward(g)):.2f} | "
              f"add {timed(lambda: y.detach() + g):.2f} ms")


if __name__ == "__main__":
    main()
