"""The PyTorch side of the export/import round trip, run with Debian's /usr/bin/python3.

Builds the official BBN network structure (Megvii-Nanjing/BBN: lib/net/network.py Network with
backbone = bbn_res32_cifar or res32_cifar, module = GAP, classifier = FC or FCNorm), with the input
channel count of the exported model, and:
  1. loads the exported state_dict with load_state_dict(strict=True) and writes its logits for a
     seeded input (BBN inference: cat(cb_block, rb_block), GAP, classifier) to <out>/python-logits.pth;
  2. perturbs every parameter and saves the new state_dict (torch.save, zip format) to
     <out>/perturbed.pth and its logits to <out>/perturbed-logits.pth.
Usage: official_bbn_roundtrip.py <exported.pth> <out dir> <in_channels> <classes> <bbn|single-branch> <linear|cosine>
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class LambdaLayer(nn.Module):
    def __init__(self, lambd):
        super().__init__()
        self.lambd = lambd

    def forward(self, x):
        return self.lambd(x)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = LambdaLayer(
                lambda x: F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes // 4, planes // 4), "constant", 0))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class ResNetCifar(nn.Module):
    """res32_cifar (bilateral=False) or BBN_ResNet_Cifar (bilateral=True), conv1 with in_channels."""

    def __init__(self, in_channels, bilateral):
        super().__init__()
        self.in_planes = 16
        self.bilateral = bilateral
        self.conv1 = nn.Conv2d(in_channels, 16, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = self._make_layer(16, 5, 1)
        self.layer2 = self._make_layer(32, 5, 2)
        self.layer3 = self._make_layer(64, 4 if bilateral else 5, 2)
        if bilateral:
            self.cb_block = BasicBlock(self.in_planes, self.in_planes, stride=1)
            self.rb_block = BasicBlock(self.in_planes, self.in_planes, stride=1)

    def _make_layer(self, planes, blocks, stride):
        layers = []
        for s in [stride] + [1] * (blocks - 1):
            layers.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        if not self.bilateral:
            return out
        return torch.cat((self.cb_block(out), self.rb_block(out)), dim=1)


class GAP(nn.Module):
    def forward(self, x):
        return F.adaptive_avg_pool2d(x, (1, 1))


class FCNorm(nn.Module):
    def __init__(self, num_features, num_classes):
        super().__init__()
        self.weight = nn.Parameter(torch.FloatTensor(num_classes, num_features))
        self.weight.data.uniform_(-1, 1).renorm_(2, 1, 1e-5).mul_(1e5)

    def forward(self, x):
        return F.linear(F.normalize(x), F.normalize(self.weight))


class Network(nn.Module):
    def __init__(self, in_channels, num_classes, bilateral, cosine):
        super().__init__()
        self.backbone = ResNetCifar(in_channels, bilateral)
        self.module = GAP()
        features = 128 if bilateral else 64
        self.classifier = FCNorm(features, num_classes) if cosine else nn.Linear(features, num_classes, bias=True)

    def forward(self, x):
        x = self.module(self.backbone(x))
        return self.classifier(x.view(x.shape[0], -1))


def main():
    exported, out, in_channels, classes, method, head = sys.argv[1:7]
    torch.manual_seed(0)
    model = Network(int(in_channels), int(classes), method == "bbn", head == "cosine")
    model.load_state_dict(torch.load(exported), strict=True)
    model.eval()
    x = torch.randn(4, int(in_channels), 32, 32)
    with torch.no_grad():
        torch.save({"input": x, "logits": model(x)}, f"{out}/python-logits.pth")
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.add_(0.01)
        torch.save(model.state_dict(), f"{out}/perturbed.pth")
        torch.save({"input": x, "logits": model(x)}, f"{out}/perturbed-logits.pth")
    print("ok", len(model.state_dict()))


if __name__ == "__main__":
    main()
