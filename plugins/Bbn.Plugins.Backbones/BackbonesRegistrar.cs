using Bbn.Abstractions;

namespace Bbn.Plugins.Backbones;

public sealed class BackbonesRegistrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components)
    {
        components.Add<IBackbone>("resnet32", c => new ResNet32Cifar(c.Bind<BackboneOptions>()), "BBN ResNet-32 for 32x32 images (3x5 BasicBlocks, option-A shortcuts, last block per branch, 64-d)");
        components.Add<IBackbone>("resnet10", c => new ResNetImageNet([1, 1, 1, 1], c.Bind<BackboneOptions>()), "ImageNet-style ResNet-10 (BasicBlocks 1-1-1-1, last block of layer4 per branch, 512-d)");
        components.Add<IBackbone>("resnet18", c => new ResNetImageNet([2, 2, 2, 2], c.Bind<BackboneOptions>()), "ImageNet-style ResNet-18 (BasicBlocks 2-2-2-2, last block of layer4 per branch, 512-d)");
        components.Add<IBackbone>("resnet50", c => new ResNet50(c.Bind<BackboneOptions>()), "BBN ResNet-50 (bottlenecks 3-4-6-3; layer4: 2 shared + 1 per branch, 2048-d per branch, 4096-d mixed)");
    }
}
