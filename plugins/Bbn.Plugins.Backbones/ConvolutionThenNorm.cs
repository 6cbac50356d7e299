using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Plugins.Backbones;

/// <summary>
/// bn(conv(x)) with the convolution's output released as soon as the norm has read it. Under autograd the
/// graph keeps what backward needs either way; in inference nothing else holds it, and a left-over output
/// stayed alive until the batch's dispose scope ended: evaluation at batch 500 peaked at 985 MiB, 480 MiB
/// at batch 128, for the same 10,000 images.
/// </summary>
internal static class ConvolutionThenNorm
{
    public static Tensor Apply(nn.Module<Tensor, Tensor> convolution, nn.Module<Tensor, Tensor> norm, Tensor input)
    {
        using var convolved = convolution.call(input);
        return norm.call(convolved);
    }
}
