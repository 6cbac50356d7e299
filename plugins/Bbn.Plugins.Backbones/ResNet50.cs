using Bbn.Abstractions;
using Bbn.Abstractions.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Plugins.Backbones;

/// <summary>
/// BBN's bbn_res50: torchvision-style bottlenecks (stride on the 3x3 convolution), stages of
/// 3-4-6-3 blocks; layer4 keeps 2 bottlenecks in the shared trunk and 1 per branch
/// (cb_block / rb_block: 2048 -> 512 -> 2048, stride 1), so each branch gives 2048 features and
/// the mixed vector is 4096-d. Initialised as the official lib/backbone/resnet.py, which sets none:
/// PyTorch's layer defaults (Bbn:Backbone:Init = kaiming-fan-out gives torchvision's instead).
/// </summary>
public sealed class ResNet50(BackboneOptions options) : IBackbone
{
    private const int Expansion = 4;

    public BackboneParts Build(ImageShape input)
    {
        var initialize = ImageNetInit.For(options, BackboneOptions.PyTorchInit);
        var trunk = ResidualInit.Apply(new ImageNetTrunk(input.Channels, [3, 4, 6, 3], (inPlanes, planes, stride) => new Bottleneck(inPlanes, planes, stride), Expansion, initialize), options);
        return new BackboneParts(trunk, () => ResidualInit.Apply(new PooledBranch(new Bottleneck(512 * Expansion, 512, stride: 1), initialize), options), FeatureSize: 512 * Expansion,
            new TorchvisionLayout([3, 4, 6, 3]));
    }
}

/// <summary>1x1 reduce, 3x3 (carrying the stride), 1x1 expand x4; a 1x1 + BN projection shortcut when the shape changes.</summary>
internal sealed class Bottleneck : nn.Module<Tensor, Tensor>, IResidualBlock
{
    private readonly nn.Module<Tensor, Tensor> conv1;
    private readonly nn.Module<Tensor, Tensor> bn1;
    private readonly nn.Module<Tensor, Tensor> conv2;
    private readonly nn.Module<Tensor, Tensor> bn2;
    private readonly nn.Module<Tensor, Tensor> conv3;
    private readonly SafeBatchNorm2d bn3;
    private readonly nn.Module<Tensor, Tensor>? downsample;

    public Bottleneck(int inPlanes, int planes, int stride) : base("Bottleneck")
    {
        int outPlanes = planes * 4;
        conv1 = nn.Conv2d(inPlanes, planes, kernel_size: 1, bias: false);
        bn1 = new SafeBatchNorm2d(planes);
        conv2 = nn.Conv2d(planes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn2 = new SafeBatchNorm2d(planes);
        conv3 = nn.Conv2d(planes, outPlanes, kernel_size: 1, bias: false);
        bn3 = new SafeBatchNorm2d(outPlanes);
        if (stride != 1 || inPlanes != outPlanes)
            downsample = nn.Sequential(("0", nn.Conv2d(inPlanes, outPlanes, kernel_size: 1, stride: stride, bias: false)), ("1", new SafeBatchNorm2d(outPlanes)));
        RegisterComponents();
    }

    public SafeBatchNorm2d LastNorm => bn3;

    // ReLU and the residual sum in place (torchvision's ReLU(inplace=True) and out += identity): batch
    // norm's backward needs its input, not its output, so autograd allows it, and a step allocates and
    // streams two fewer activation buffers per block (see ResNet32Cifar).
    public override Tensor forward(Tensor input)
    {
        using var a = ConvolutionThenNorm.Apply(conv1, bn1, input).relu_();
        using var c = ConvolutionThenNorm.Apply(conv2, bn2, a).relu_();
        var sum = ConvolutionThenNorm.Apply(conv3, bn3, c);
        using (var shortcut = downsample is null ? input.alias() : downsample.call(input)) sum.add_(shortcut, Scalars.One);
        return sum.relu_();
    }
}
