using Bbn.Abstractions;
using Bbn.Abstractions.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Plugins.Backbones;

/// <summary>
/// ImageNet-style ResNet with BasicBlocks (torchvision's resnet18 layout; resnet10 has one block per
/// stage): conv7x7/2 + BN + ReLU + maxpool3x3/2, four stages of 64-128-256-512 channels with 1x1
/// projection shortcuts. As in BBN's ResNet-50, the last block of the last stage is built per branch.
/// </summary>
public sealed class ResNetImageNet(int[] blocksPerStage, BackboneOptions options) : IBackbone
{
    public BackboneParts Build(ImageShape input)
    {
        var initialize = ImageNetInit.For(options, BackboneOptions.KaimingFanOutInit);
        var trunk = ResidualInit.Apply(new ImageNetTrunk(input.Channels, blocksPerStage, (inPlanes, planes, stride) => new ProjectionBasicBlock(inPlanes, planes, stride), expansion: 1, initialize), options);
        int lastIn = blocksPerStage[3] == 1 ? 256 : 512;
        int lastStride = blocksPerStage[3] == 1 ? 2 : 1;
        return new BackboneParts(trunk, () => ResidualInit.Apply(new PooledBranch(new ProjectionBasicBlock(lastIn, 512, lastStride), initialize), options), FeatureSize: 512,
            new TorchvisionLayout(blocksPerStage));
    }
}

/// <summary>Builds one residual block from (input channels, planes, stride).</summary>
internal delegate nn.Module<Tensor, Tensor> ResidualBlockFactory(int inPlanes, int planes, int stride);

/// <summary>
/// The ImageNet ResNet trunk: stem and the four stages less the last block of layer4 (which the
/// branches own). The expansion is 1 for BasicBlocks, 4 for bottlenecks.
/// </summary>
internal sealed class ImageNetTrunk : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> stem;
    private readonly nn.Module<Tensor, Tensor> layers;

    public ImageNetTrunk(int inputChannels, int[] blocks, ResidualBlockFactory block, int expansion, Action<nn.Module> initialize) : base("ImageNetTrunk")
    {
        stem = nn.Sequential(
            ("conv1", nn.Conv2d(inputChannels, 64, kernel_size: 7, stride: 2, padding: 3, bias: false)),
            ("bn1", new SafeBatchNorm2d(64)),
            ("relu", nn.ReLU(inplace: true)),
            ("maxpool", nn.MaxPool2d(kernel_size: 3, stride: 2, padding: 1)));
        var stages = new List<(string, nn.Module<Tensor, Tensor>)>();
        int inPlanes = 64;
        int[] planes = [64, 128, 256, 512];
        for (int s = 0; s < 4; s++)
        {
            int count = s == 3 ? blocks[s] - 1 : blocks[s]; // the last block of layer4 belongs to the branches
            for (int b = 0; b < count; b++)
            {
                int stride = b == 0 && s > 0 ? 2 : 1;
                stages.Add(($"layer{s + 1}_{b}", block(inPlanes, planes[s], stride)));
                inPlanes = planes[s] * expansion;
            }
        }
        layers = nn.Sequential(stages);
        RegisterComponents();
        initialize(this);
    }

    public override Tensor forward(Tensor input)
    {
        using var x = stem.call(input);
        return layers.call(x);
    }
}

/// <summary>BasicBlock with a 1x1 convolution + BN shortcut when the shape changes (option B).</summary>
internal sealed class ProjectionBasicBlock : nn.Module<Tensor, Tensor>, IResidualBlock
{
    private readonly nn.Module<Tensor, Tensor> conv1;
    private readonly nn.Module<Tensor, Tensor> bn1;
    private readonly nn.Module<Tensor, Tensor> conv2;
    private readonly SafeBatchNorm2d bn2;
    private readonly nn.Module<Tensor, Tensor>? downsample;

    public ProjectionBasicBlock(int inPlanes, int planes, int stride) : base("ProjectionBasicBlock")
    {
        conv1 = nn.Conv2d(inPlanes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn1 = new SafeBatchNorm2d(planes);
        conv2 = nn.Conv2d(planes, planes, kernel_size: 3, stride: 1, padding: 1, bias: false);
        bn2 = new SafeBatchNorm2d(planes);
        if (stride != 1 || inPlanes != planes)
            downsample = nn.Sequential(("0", nn.Conv2d(inPlanes, planes, kernel_size: 1, stride: stride, bias: false)), ("1", new SafeBatchNorm2d(planes)));
        RegisterComponents();
    }

    public SafeBatchNorm2d LastNorm => bn2;

    // ReLU and the residual sum in place (torchvision's ReLU(inplace=True) and out += identity): batch
    // norm's backward needs its input, not its output, so autograd allows it, and a step allocates and
    // streams two fewer activation buffers per block (see ResNet32Cifar).
    public override Tensor forward(Tensor input)
    {
        using var a = ConvolutionThenNorm.Apply(conv1, bn1, input).relu_();
        var sum = ConvolutionThenNorm.Apply(conv2, bn2, a);
        using (var shortcut = downsample is null ? input.alias() : downsample.call(input)) sum.add_(shortcut, Scalars.One);
        return sum.relu_();
    }
}

/// <summary>torchvision's ResNet init: kaiming_normal_(fan_out, relu) on convolutions; or PyTorch's layer defaults.</summary>
internal static class ImageNetInit
{
    /// <summary>The initialisation Bbn:Backbone:Init names, <paramref name="ownDefault"/> for auto.</summary>
    public static Action<nn.Module> For(BackboneOptions options, string ownDefault) =>
        (options.Init == BackboneOptions.AutoInit ? ownDefault : options.Init) == BackboneOptions.PyTorchInit ? _ => { } : Apply;

    public static void Apply(nn.Module module)
    {
        using var noGrad = torch.no_grad();
        foreach (var (_, child) in module.named_modules())
        {
            if (child is TorchSharp.Modules.Conv2d conv)
                nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
        }
    }
}
