using System.ComponentModel.DataAnnotations;
using Bbn.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Plugins.BalancedContrastive;

/// <summary>
/// bal-scl: the loss of BCL (Zhu et al., "Balanced Contrastive Learning for Long-Tailed Visual Recognition", CVPR 2022;
/// FlamieZhu/Balanced-Contrastive-Learning) over two augmented views of each image. A step forwards both views, takes the
/// logit-adjusted cross-entropy of the first and the balanced supervised contrastive loss over both, and updates once:
/// a method with a step of its own (<see cref="ITrainingMethod.TrainStep"/>), everything in this plugin.
/// </summary>
public sealed class BalancedContrastiveRegistrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components) =>
        components.Add<ITrainingMethod>("bal-scl", c => new BalancedContrastiveMethod(c.Bind<BalancedContrastiveOptions>()),
            "BCL's loss (Zhu et al. 2022): two views of each image, logit-adjusted CE + balanced supervised contrastive loss with class prototypes (Bbn:Method:CrossEntropyWeight 2, ContrastiveWeight 0.6, Temperature 0.07)");
}

/// <summary>Bbn:Method with Name bal-scl (the defaults are BCL's CIFAR settings).</summary>
public sealed class BalancedContrastiveOptions
{
    /// <summary>The weight of the logit-adjusted cross-entropy (BCL's alpha).</summary>
    [Range(0.0, 100.0)]
    public double CrossEntropyWeight { get; set; } = 2.0;

    /// <summary>The weight of the balanced contrastive loss (BCL's beta).</summary>
    [Range(0.0, 100.0)]
    public double ContrastiveWeight { get; set; } = 0.6;

    /// <summary>The contrastive temperature.</summary>
    [Range(1e-3, 10.0)]
    public double Temperature { get; set; } = 0.07;

    /// <summary>The logit adjustment's tau: the cross-entropy of z + tau log(prior) (Menon et al. 2021).</summary>
    [Range(0.0, 10.0)]
    public double LogitAdjustment { get; set; } = 1.0;
}

/// <summary>
/// One branch on uniform batches (Bbn:Method:Sampler), two views. The contrastive space is the backbone's features and the
/// classifier's class weights as prototypes, each L2-normalised; BCL puts a projection head on each, which the kernel's
/// network does not have (docs/results/bal-scl-small-folder.md says what that leaves out).
/// </summary>
public sealed class BalancedContrastiveMethod(BalancedContrastiveOptions options) : ITrainingMethod
{
    private static readonly MethodBranch Uniform = new("conventional", "Bbn:Method:Sampler", "uniform");

    public IReadOnlyList<MethodBranch> Branches { get; } = [Uniform];

    public int Views => 2;

    /// <summary>The classification part alone (what a step of one view would train).</summary>
    public Tensor Loss(BranchOutputs outputs, MethodStep position)
    {
        using var logits = outputs.Classify(outputs.Features[0]);
        return outputs.LossOf(logits, 0);
    }

    /// <summary>weight_ce * LA-CE(view 1) + weight_scl * BalSCL(view 1, view 2, prototypes).</summary>
    public double TrainStep(ITrainingStep training) => training.Update(part =>
    {
        var first = training.Forward(part, 0);
        var second = training.Forward(part, 1);
        using var classification = Loss(first, training.Position);
        using var prototypes = nn.functional.normalize(training.Classifier.Weight, p: 2, dim: 1);
        using var z1 = nn.functional.normalize(first.Features[0], p: 2, dim: 1);
        using var z2 = nn.functional.normalize(second.Features[0], p: 2, dim: 1);
        using var contrastive = BalancedContrastiveLoss.Compute(z1, z2, prototypes, first.Targets[0].Labels, options.Temperature);
        using Scalar ce = options.CrossEntropyWeight.ToScalar(), scl = options.ContrastiveWeight.ToScalar();
        using var weightedCe = classification.mul(ce);
        using var weightedScl = contrastive.mul(scl);
        return weightedCe.add(weightedScl, Scalars.One);
    });

    public IReadOnlyList<TrainingStage> Stages(StagePlan plan) =>
        [new TrainingStage("bal-scl", plan.Epochs, NetworkParts.All, plan.Optimizer, Loss: new LogitAdjustedCrossEntropy(plan.ClassCounts, options.LogitAdjustment))];
}

/// <summary>
/// BCL's BalSCL: the anchors are both views' features, the contrast set the anchors and one prototype per class
/// (class-complement); each term of the denominator is divided by how many of its class the contrast set holds, less one
/// for the anchor's own class (class-averaging); the loss is the mean over the anchors of minus the mean log-probability of
/// their positives (the other view, the same class's images and prototype).
/// </summary>
public static class BalancedContrastiveLoss
{
    /// <param name="z1">[B, D] the first view's normalised features.</param>
    /// <param name="z2">[B, D] the second view's.</param>
    /// <param name="prototypes">[K, D] one normalised prototype per class.</param>
    /// <param name="labels">int64 [B].</param>
    /// <param name="temperature">The temperature.</param>
    public static Tensor Compute(Tensor z1, Tensor z2, Tensor prototypes, Tensor labels, double temperature)
    {
        using var scope = NewDisposeScope();
        long batch = z1.shape[0], classes = prototypes.shape[0];
        using Scalar classCount = classes.ToScalar(), anchorCount = (2 * batch).ToScalar();
        var anchorLabels = cat([labels, labels], 0);
        var contrastLabels = cat([anchorLabels, arange(classCount, dtype: ScalarType.Int64, device: labels.device)], 0);
        var counts = nn.functional.one_hot(contrastLabels, classes).sum([0]).to(z1.dtype);
        var anchors = cat([z1, z2], 0);
        var contrast = cat([anchors, prototypes], 0);
        using Scalar inverseTemperature = (1.0 / temperature).ToScalar();
        var logits = anchors.matmul(contrast.t()).mul(inverseTemperature);
        var rowMax = logits.amax([1], keepdim: true).detach();
        logits = logits.sub(rowMax);
        // Every anchor against itself is left out; positives: same class, not itself.
        var notSelf = ones_like(logits).scatter(1, arange(anchorCount, dtype: ScalarType.Int64, device: labels.device).unsqueeze(1), zeros(2 * batch, 1, dtype: logits.dtype, device: logits.device));
        var positives = anchorLabels.unsqueeze(1).eq(contrastLabels.unsqueeze(0)).to(logits.dtype).mul(notSelf);
        var perInstance = counts.index_select(0, contrastLabels).unsqueeze(0).expand(2 * batch, -1).sub(positives);
        var denominator = logits.exp().mul(notSelf).div(perInstance).sum([1], keepdim: true);
        var logProbabilities = logits.sub(denominator.log());
        var meanPositive = positives.mul(logProbabilities).sum([1]).div(positives.sum([1]));
        return meanPositive.mean().neg().MoveToOuterDisposeScope();
    }
}

/// <summary>The cross-entropy of z + tau log(prior), the prior from the training counts (BCL's LogitAdjust).</summary>
public sealed class LogitAdjustedCrossEntropy(IReadOnlyList<int> classCounts, double tau) : ILoss
{
    private readonly float[] shift = [.. classCounts.Select(n => (float)(tau * Math.Log(Math.Max(1, n) / (double)Math.Max(1, classCounts.Sum()))))];

    public Tensor Compute(Tensor logits, Tensor targets, LossContext context)
    {
        using var prior = tensor(shift, device: logits.device).unsqueeze(0);
        using var adjusted = logits.add(prior, Scalars.One);
        return nn.functional.cross_entropy(adjusted, targets);
    }
}
