using Bbn.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Core.Model;

/// <summary>
/// A method's network: a shared trunk, one last block per branch (named after the branch, so BBN's
/// parameters are <c>trunk.*</c>, one prefix per branch named by the method, <c>classifier.*</c>),
/// one classifier (linear with bias, or <see cref="CosineClassifier"/>) and, for LWS, a per-class
/// logit scale. <see cref="forward"/> is inference: every branch sees the same images and the
/// method combines their features (by default their concatenation).
/// </summary>
public sealed class BranchNetwork : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> trunk;
    private readonly nn.Module<Tensor, Tensor>[] branches;
    private readonly Func<IReadOnlyList<Tensor>, Tensor> inferenceFeatures;
    private readonly long classifierInputSize;
    private readonly int classCount;
    private nn.Module<Tensor, Tensor> classifier;
    private readonly TorchSharp.Modules.Parameter? logitScale;

    /// <param name="parts">The backbone's trunk and branch-block factory (built before this call, so the random stream runs trunk, blocks, classifier).</param>
    /// <param name="classCount">The classifier's outputs.</param>
    /// <param name="branchNames">One block per name, in order.</param>
    /// <param name="head">Linear or cosine classifier.</param>
    /// <param name="classifierInputSize">The classifier's input; null: the branches' features concatenated.</param>
    /// <param name="logitScale">Add a per-class logit scale (ones).</param>
    /// <param name="inferenceFeatures">The method's combination of the branches' features at inference; null: concatenated.</param>
    /// <param name="knob">The method's inference knob, which post-hoc tuning may search; null: none.</param>
    public BranchNetwork(BackboneParts parts, int classCount, IReadOnlyList<string> branchNames, ClassifierHead head = ClassifierHead.Linear,
        long? classifierInputSize = null, bool logitScale = false, Func<IReadOnlyList<Tensor>, Tensor>? inferenceFeatures = null, InferenceKnob? knob = null)
        : base(nameof(BranchNetwork))
    {
        if (branchNames.Count == 0) throw new ArgumentException("A network needs at least one branch.", nameof(branchNames));
        trunk = parts.Trunk;
        BranchNames = branchNames;
        branches = branchNames.Select(_ => parts.CreateBranch()).ToArray();
        FeatureSize = parts.FeatureSize;
        this.classCount = classCount;
        this.classifierInputSize = classifierInputSize ?? (long)FeatureSize * branchNames.Count;
        Head = head;
        classifier = NewClassifier();
        this.inferenceFeatures = inferenceFeatures ?? (features => features.Count == 1 ? features[0].alias() : cat([.. features], 1));
        Knob = knob;
        register_module("trunk", trunk);
        for (int b = 0; b < branches.Length; b++) register_module(branchNames[b], branches[b]);
        register_module("classifier", classifier);
        if (logitScale)
        {
            this.logitScale = new TorchSharp.Modules.Parameter(ones(classCount));
            register_parameter("logit_scale", this.logitScale);
        }
        ChannelsLast = !HasPointwiseConvolution(this);
    }

    public int FeatureSize { get; }

    /// <summary>The method's inference knob (<see cref="ITrainingMethod.InferenceKnob"/>), or null.</summary>
    public InferenceKnob? Knob { get; }
    public long ClassifierInputSize => classifierInputSize;
    public ClassifierHead Head { get; }
    public IReadOnlyList<string> BranchNames { get; }
    public int BranchCount => branches.Length;
    public nn.Module<Tensor, Tensor> Trunk => trunk;
    public nn.Module<Tensor, Tensor> Branch(int index) => branches[index];
    public nn.Module<Tensor, Tensor> Classifier => classifier;

    /// <summary>The per-class logit scale, or null.</summary>
    public TorchSharp.Modules.Parameter? LogitScale => logitScale;

    /// <summary>The parameters of <paramref name="parts"/>.</summary>
    public IEnumerable<TorchSharp.Modules.Parameter> ParametersOf(NetworkParts parts)
    {
        if (parts.HasFlag(NetworkParts.Trunk)) foreach (var p in trunk.parameters()) yield return p;
        if (parts.HasFlag(NetworkParts.Branches)) foreach (var p in branches.SelectMany(b => b.parameters())) yield return p;
        if (parts.HasFlag(NetworkParts.Classifier)) foreach (var p in classifier.parameters()) yield return p;
        if (parts.HasFlag(NetworkParts.LogitScale) && logitScale is not null) yield return logitScale;
    }

    /// <summary>The modules that hold <paramref name="parts"/>' batch norms.</summary>
    public IEnumerable<nn.Module> ModulesOf(NetworkParts parts)
    {
        if (parts.HasFlag(NetworkParts.Trunk)) yield return trunk;
        if (parts.HasFlag(NetworkParts.Branches)) foreach (var b in branches) yield return b;
        if (parts.HasFlag(NetworkParts.Classifier)) yield return classifier;
    }

    /// <summary>The classifier's tensors, for constraints and post-hoc changes.</summary>
    public ClassifierParameters ClassifierTensors()
    {
        var named = classifier.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        return new ClassifierParameters(named["weight"], named.GetValueOrDefault("bias"), logitScale);
    }

    /// <summary>Replaces the classifier's weights with a fresh initialisation (cRT's stage 2).</summary>
    public void ReinitializeClassifier()
    {
        using var fresh = NewClassifier();
        using var _ = no_grad();
        foreach (var ((_, target), (_, source)) in classifier.named_parameters().Zip(fresh.named_parameters()))
            target.copy_(source);
    }

    /// <summary>Sets the classifier's weights and bias to zero: the first logits are 0 and the first loss is ln C, whatever the features' scale.</summary>
    public void ZeroClassifier()
    {
        using var _ = no_grad();
        foreach (var (_, parameter) in classifier.named_parameters()) parameter.zero_();
    }

    /// <summary>Sets every bias of the classifier to <paramref name="value"/>; a classifier without biases (cosine) is left as it is.</summary>
    public void FillClassifierBias(double value)
    {
        using var _ = no_grad();
        using Scalar bias = value.ToScalar();
        ClassifierTensors().Bias?.fill_(bias);
    }

    private nn.Module<Tensor, Tensor> NewClassifier() => Head == ClassifierHead.Cosine
        ? new CosineClassifier(classifierInputSize, classCount)
        : nn.Linear(classifierInputSize, classCount, hasBias: true);

    /// <summary>Branch <paramref name="branch"/>'s features of <paramref name="images"/>.</summary>
    public Tensor Features(int branch, Tensor images) => Features(branch, images, trunk);

    /// <summary>Branch <paramref name="branch"/>'s features through <paramref name="trunkReplica"/>, a trunk that shares this one's parameters (<see cref="Training.ConcurrentBranches"/>).</summary>
    internal Tensor Features(int branch, Tensor images, nn.Module<Tensor, Tensor> trunkReplica)
    {
        using var shared = RunTrunk(images, trunkReplica);
        return branches[branch].call(shared);
    }

    /// <summary>
    /// Feed the trunk NHWC-strided images (torch.channels_last); oneDNN's convolutions then skip their
    /// layout reorders. On by default for networks without 1x1 convolutions: libtorch 2.10's oneDNN
    /// brgemm 1x1 convolution for NHWC input divides by zero on some CPUs (SIGFPE, AMD Zen 5; see
    /// docs/troubleshooting.md), while NCHW input takes another kernel.
    /// </summary>
    public bool ChannelsLast { get; set; }

    private static bool HasPointwiseConvolution(nn.Module module) =>
        module.modules().OfType<TorchSharp.Modules.Conv2d>().Any(conv => conv.kernel_size.All(k => k == 1));

    private Tensor RunTrunk(Tensor images, nn.Module<Tensor, Tensor> module)
    {
        if (!ChannelsLast || images.dim() != 4) return module.call(images);
        using var channelsLast = ChannelsLastView(images);
        return module.call(channelsLast);
    }

    /// <summary>
    /// The same images with NHWC strides (N, C, H, W sizes), which libtorch's convolutions then keep. One
    /// channel is NCHW and NHWC at once, and libtorch reads the contiguous strides of such a tensor as NCHW,
    /// which left the whole trunk NCHW (a Fashion-MNIST step 24 % slower than a CIFAR one); its NHWC strides
    /// are set explicitly.
    /// </summary>
    internal static Tensor ChannelsLastView(Tensor images)
    {
        long n = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        using var nhwc = images.permute(0, 2, 3, 1).contiguous();
        return nhwc.as_strided([n, c, h, w], [h * w * c, 1, w * c, c], nhwc.storage_offset());
    }

    /// <summary>The classifier's logits (times the logit scale, when there is one) for classifier inputs.</summary>
    public Tensor Classify(Tensor classifierInput)
    {
        var logits = classifier.call(classifierInput);
        if (logitScale is null) return logits;
        using (logits) return logits.mul(logitScale);
    }

    /// <summary>Every branch's features of the same (normalised) images, the trunk run once.</summary>
    public Tensor[] BranchFeatures(Tensor images)
    {
        using var shared = RunTrunk(images, trunk);
        return branches.Select(b => b.call(shared)).ToArray();
    }

    /// <summary>The method's classifier input at inference from <see cref="BranchFeatures"/>.</summary>
    public Tensor Combine(IReadOnlyList<Tensor> features) => inferenceFeatures(features);

    public override Tensor forward(Tensor images)
    {
        using var scope = NewDisposeScope();
        var shared = RunTrunk(images, trunk);
        var features = branches.Select(b => b.call(shared)).ToArray();
        var combined = inferenceFeatures(features);
        return Classify(combined).MoveToOuterDisposeScope();
    }
}
