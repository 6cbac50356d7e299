using Bbn.Abstractions.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Plugins.Backbones;

/// <summary>Bbn:Backbone: settings every ResNet backbone reads.</summary>
public sealed class BackboneOptions
{
    /// <summary>
    /// Start every residual block's last batch-norm scale at 0, so that each block begins as the
    /// identity (Goyal et al. 2017, torchvision's zero_init_residual): the trunk's output and the first
    /// logits keep the input's scale instead of growing with depth. Off in the official BBN code.
    /// </summary>
    public bool ZeroInitResidual { get; set; }

    public const string AutoInit = "auto";
    public const string PyTorchInit = "pytorch";
    public const string KaimingFanOutInit = "kaiming-fan-out";

    /// <summary>
    /// The ImageNet-style backbones' convolution init: auto (resnet50: pytorch, as the official BBN code,
    /// which sets none; resnet10/18: kaiming-fan-out, as torchvision), pytorch (the layers' defaults) or
    /// kaiming-fan-out (kaiming_normal_, fan_out, relu). resnet32 always uses the official _weights_init.
    /// </summary>
    [System.ComponentModel.DataAnnotations.RegularExpression("^(auto|pytorch|kaiming-fan-out)$", ErrorMessage = "auto, pytorch or kaiming-fan-out")]
    public string Init { get; set; } = AutoInit;
}

/// <summary>A residual block whose last batch norm feeds the residual sum.</summary>
internal interface IResidualBlock
{
    SafeBatchNorm2d LastNorm { get; }
}

internal static class ResidualInit
{
    /// <summary>Zeroes the last batch-norm scale of every residual block in <paramref name="module"/> when <paramref name="options"/> asks for it; draws no random numbers.</summary>
    public static T Apply<T>(T module, BackboneOptions options) where T : nn.Module
    {
        if (!options.ZeroInitResidual) return module;
        using var noGrad = torch.no_grad();
        foreach (var (_, child) in module.named_modules())
        {
            if (child is IResidualBlock block) block.LastNorm.weight!.zero_();
        }
        return module;
    }
}
