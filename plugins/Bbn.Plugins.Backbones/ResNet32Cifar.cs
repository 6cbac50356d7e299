using Bbn.Abstractions;
using Bbn.Abstractions.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Plugins.Backbones;

/// <summary>
/// The ResNet-32 of BBN's official res32_cifar.py: stem conv3x3(16) + BN + ReLU, three stages of
/// five BasicBlocks (16, 32, 64 channels; stages 2 and 3 start with stride 2), option-A shortcuts.
/// The last block of stage 3 is the per-branch block (cb_block / rb_block).
/// </summary>
public sealed class ResNet32Cifar(BackboneOptions options) : IBackbone
{
    private const int BlocksPerStage = 5;

    public BackboneParts Build(ImageShape input)
    {
        var trunk = ResidualInit.Apply(new ResNetCifarTrunk(input.Channels, BlocksPerStage), options);
        return new BackboneParts(trunk, () => ResidualInit.Apply(new PooledBranch(new CifarBasicBlock(64, 64, stride: 1), KaimingInit.Apply), options), FeatureSize: 64);
    }
}

/// <summary>Stem and the three stages, less the last block of stage 3.</summary>
internal sealed class ResNetCifarTrunk : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> conv1;
    private readonly nn.Module<Tensor, Tensor> bn1;
    private readonly nn.Module<Tensor, Tensor> layer1;
    private readonly nn.Module<Tensor, Tensor> layer2;
    private readonly nn.Module<Tensor, Tensor> layer3;

    public ResNetCifarTrunk(int inputChannels, int blocksPerStage) : base("ResNetCifarTrunk")
    {
        conv1 = nn.Conv2d(inputChannels, 16, kernel_size: 3, stride: 1, padding: 1, bias: false);
        bn1 = new SafeBatchNorm2d(16);
        layer1 = Stage(16, 16, blocksPerStage, stride: 1);
        layer2 = Stage(16, 32, blocksPerStage, stride: 2);
        layer3 = Stage(32, 64, blocksPerStage - 1, stride: 2);
        RegisterComponents();
        KaimingInit.Apply(this);
    }

    public override Tensor forward(Tensor input)
    {
        using var stem = ConvolutionThenNorm.Apply(conv1, bn1, input).relu_();
        using var x1 = layer1.call(stem);
        using var x2 = layer2.call(x1);
        return layer3.call(x2);
    }

    private static nn.Module<Tensor, Tensor> Stage(int inPlanes, int planes, int blocks, int stride)
    {
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (int i = 0; i < blocks; i++)
        {
            modules.Add(($"{i}", new CifarBasicBlock(i == 0 ? inPlanes : planes, planes, i == 0 ? stride : 1)));
        }
        return nn.Sequential(modules);
    }
}

/// <summary>BasicBlock with the option-A shortcut: subsample by 2 and zero-pad the new channels.</summary>
internal sealed class CifarBasicBlock : nn.Module<Tensor, Tensor>, IResidualBlock
{
    private readonly nn.Module<Tensor, Tensor> conv1;
    private readonly nn.Module<Tensor, Tensor> bn1;
    private readonly nn.Module<Tensor, Tensor> conv2;
    private readonly SafeBatchNorm2d bn2;
    private readonly bool projectShortcut;
    private readonly long padEachSide;

    public CifarBasicBlock(int inPlanes, int planes, int stride) : base("CifarBasicBlock")
    {
        conv1 = nn.Conv2d(inPlanes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn1 = new SafeBatchNorm2d(planes);
        conv2 = nn.Conv2d(planes, planes, kernel_size: 3, stride: 1, padding: 1, bias: false);
        bn2 = new SafeBatchNorm2d(planes);
        projectShortcut = stride != 1 || inPlanes != planes;
        padEachSide = planes / 4;
        RegisterComponents();
    }

    public SafeBatchNorm2d LastNorm => bn2;

    // ReLU and the residual sum in place (torchvision's ReLU(inplace=True) and out += identity): batch
    // norm's backward needs its input, not its output, so autograd allows it, and a step allocates and
    // streams two fewer activation buffers per block (measured with Bbn.Bench --ab: docs/performance.md).
    public override Tensor forward(Tensor input)
    {
        using var a = ConvolutionThenNorm.Apply(conv1, bn1, input).relu_();
        var sum = ConvolutionThenNorm.Apply(conv2, bn2, a);
        using (var shortcut = projectShortcut ? Shortcut(input) : input.alias()) sum.add_(shortcut, Scalars.One);
        return sum.relu_();
    }

    private Tensor Shortcut(Tensor input)
    {
        using var subsampled = input[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(null, null, 2), TensorIndex.Slice(null, null, 2)];
        return nn.functional.pad(subsampled, [0, 0, 0, 0, padEachSide, padEachSide]);
    }
}

/// <summary>The official code's _weights_init: kaiming_normal_ (fan_in, gain sqrt 2) on every conv and linear weight.</summary>
internal static class KaimingInit
{
    public static void Apply(nn.Module module)
    {
        using var noGrad = torch.no_grad();
        foreach (var (_, child) in module.named_modules())
        {
            if (child is TorchSharp.Modules.Conv2d conv) nn.init.kaiming_normal_(conv.weight);
            else if (child is TorchSharp.Modules.Linear linear) nn.init.kaiming_normal_(linear.weight);
        }
    }
}
