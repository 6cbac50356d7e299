using Bbn.Abstractions;

namespace Bbn.Plugins.Backbones;

public sealed class BackbonesRegistrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components)
    {
        components.Add<IBackbone>("resnet32", _ => new ResNet32Cifar(), "BBN ResNet-32 for 32x32 images (3x5 BasicBlocks, option-A shortcuts, last block per branch, 64-d)");
        components.Add<IBackbone>("resnet10", _ => new ResNetImageNet([1, 1, 1, 1]), "ImageNet-style ResNet-10 (BasicBlocks 1-1-1-1, last block of layer4 per branch, 512-d)");
        components.Add<IBackbone>("resnet18", _ => new ResNetImageNet([2, 2, 2, 2]), "ImageNet-style ResNet-18 (BasicBlocks 2-2-2-2, last block of layer4 per branch, 512-d)");
        components.Add<IBackbone>("resnet50", _ => new ResNet50(), "BBN ResNet-50 (bottlenecks 3-4-6-3; layer4: 2 shared + 1 per branch, 2048-d per branch, 4096-d mixed)");
    }
}
