using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Abstractions;

/// <summary>
/// A backbone for BBN: everything but the last residual block is shared (the trunk); the last
/// block exists once per branch. The kernel asks for the parts once per network.
/// </summary>
public interface IBackbone
{
    /// <summary>Builds a fresh trunk and a factory of branch blocks for images of <paramref name="input"/>'s shape.</summary>
    BackboneParts Build(ImageShape input);
}

/// <summary>The shape of one input image.</summary>
/// <param name="Channels">1 for grey images, 3 for colour.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Width">Width in pixels.</param>
public sealed record ImageShape(int Channels, int Height, int Width);

/// <summary>The pieces of a bilateral-branch backbone.</summary>
/// <param name="Trunk">Maps images [N, C, H, W] to the shared feature map.</param>
/// <param name="CreateBranch">Creates one branch: the last residual block plus global pooling,
/// mapping the trunk's output to features [N, FeatureSize]. Called once per branch; each call
/// returns new parameters.</param>
/// <param name="FeatureSize">The length of one branch's feature vector.</param>
/// <param name="Layout">The names of the backbone's twin in torchvision and timm, where it has one (contracts 1.7); null: no pretrained start.</param>
public sealed record BackboneParts(nn.Module<Tensor, Tensor> Trunk, Func<nn.Module<Tensor, Tensor>> CreateBranch, int FeatureSize, IPretrainedLayout? Layout = null);
