using Bbn.Abstractions;

namespace Bbn.Plugins.Backbones;

public sealed class BackbonesRegistrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components)
    {
        components.Add<IBackbone>("resnet32", _ => new ResNet32Cifar(), "BBN ResNet-32 for 32x32 images (3x5 BasicBlocks, option-A shortcuts, last block per branch, 64-d)");
    }
}
