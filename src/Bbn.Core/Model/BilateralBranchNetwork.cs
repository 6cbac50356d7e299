using Bbn.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Core.Model;

/// <summary>
/// BBN's network: a shared trunk, one block per branch, one classifier over the concatenated branch
/// features: linear with bias (BBN's) or cosine (<see cref="CosineClassifier"/>, for LDAM). With a single branch it is the plain network of the baseline.
/// <see cref="forward"/> is inference: every branch sees the same images and, for two branches,
/// the features are concatenated as with alpha = 0.5 (2 * cat(0.5 f_c, 0.5 f_r) = cat(f_c, f_r)).
/// </summary>
public sealed class BilateralBranchNetwork : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> trunk;
    private readonly nn.Module<Tensor, Tensor> conventional;
    private readonly nn.Module<Tensor, Tensor>? rebalancing;
    private readonly nn.Module<Tensor, Tensor> classifier;

    public BilateralBranchNetwork(BackboneParts parts, int classCount, bool bilateral, ClassifierHead head = ClassifierHead.Linear)
        : base(nameof(BilateralBranchNetwork))
    {
        trunk = parts.Trunk;
        conventional = parts.CreateBranch();
        rebalancing = bilateral ? parts.CreateBranch() : null;
        FeatureSize = parts.FeatureSize;
        long inputSize = FeatureSize * (bilateral ? 2 : 1);
        classifier = head == ClassifierHead.Cosine
            ? new CosineClassifier(inputSize, classCount)
            : nn.Linear(inputSize, classCount, hasBias: true);
        Head = head;
        RegisterComponents();
        ChannelsLast = !HasPointwiseConvolution(this);
    }

    public int FeatureSize { get; }
    public ClassifierHead Head { get; }
    public bool IsBilateral => rebalancing is not null;
    public nn.Module<Tensor, Tensor> Trunk => trunk;
    public nn.Module<Tensor, Tensor> ConventionalBranch => conventional;
    public nn.Module<Tensor, Tensor> RebalancingBranch => rebalancing ?? throw new InvalidOperationException("This network has a single branch.");
    public nn.Module<Tensor, Tensor> Classifier => classifier;

    /// <summary>f_c: the conventional branch's features of <paramref name="images"/>.</summary>
    public Tensor ConventionalFeatures(Tensor images)
    {
        using var shared = RunTrunk(images);
        return conventional.call(shared);
    }

    /// <summary>f_r: the re-balancing branch's features of <paramref name="images"/>.</summary>
    public Tensor RebalancingFeatures(Tensor images) => RebalancingFeatures(images, trunk);

    /// <summary>f_r through <paramref name="trunkReplica"/>, a trunk that shares this one's parameters (<see cref="Training.ConcurrentBranches"/>).</summary>
    internal Tensor RebalancingFeatures(Tensor images, nn.Module<Tensor, Tensor> trunkReplica)
    {
        using var shared = RunTrunk(images, trunkReplica);
        return RebalancingBranch.call(shared);
    }

    /// <summary>
    /// Feed the trunk NHWC-strided images (torch.channels_last); oneDNN's convolutions then skip their
    /// layout reorders. On by default for networks without 1x1 convolutions (ResNet-32's BasicBlocks
    /// with option-A shortcuts): libtorch 2.10's oneDNN picks its brgemm 1x1 convolution for NHWC
    /// input, and on some CPUs its blocking estimate divides by zero and kills the process (SIGFPE in
    /// brg_blocking_t::est_eff_1x1 on an AMD Zen 5, family 26: a 1x1 convolution of 256 to 1024
    /// channels at batch 64 on 4x4 maps, ResNet-50's 512 to 2048 at batch 128 on 7x7). The same
    /// convolutions on NCHW input take another kernel and run.
    /// </summary>
    public bool ChannelsLast { get; set; }

    private static bool HasPointwiseConvolution(nn.Module module) =>
        module.modules().OfType<TorchSharp.Modules.Conv2d>().Any(conv => conv.kernel_size.All(k => k == 1));

    private Tensor RunTrunk(Tensor images) => RunTrunk(images, trunk);

    private Tensor RunTrunk(Tensor images, nn.Module<Tensor, Tensor> module)
    {
        if (!ChannelsLast || images.dim() != 4) return module.call(images);
        using var nhwc = images.permute(0, 2, 3, 1).contiguous();
        using var channelsLast = nhwc.permute(0, 3, 1, 2);
        return module.call(channelsLast);
    }

    /// <summary>The classifier's logits for (already mixed) features.</summary>
    public Tensor Classify(Tensor features) => classifier.call(features);

    public override Tensor forward(Tensor images)
    {
        using var shared = RunTrunk(images);
        using var fc = conventional.call(shared);
        if (rebalancing is null) return classifier.call(fc);
        using var fr = rebalancing.call(shared);
        using var both = cat([fc, fr], 1);
        return classifier.call(both);
    }
}
