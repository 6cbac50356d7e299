using TorchSharp;
using Bbn.Abstractions;
using static TorchSharp.torch;

namespace Bbn.Plugins.Methods;

/// <summary>
/// BBN (Zhou et al., CVPR 2020; official combiner.bbn_mix): z = W 2 cat(alpha f_c, (1 - alpha) f_r) + b,
/// loss alpha L(z, y_c) + (1 - alpha) L(z, y_r), alpha from the adaptor per step; inference cat(f_c, f_r).
/// </summary>
public sealed class BilateralBranch(IWeightSchedule adaptor) : ITrainingMethod
{
    public IReadOnlyList<MethodBranch> Branches { get; } = [Methods.Branches.Conventional, Methods.Branches.Rebalancing];

    /// <summary>The adaptor's alpha of the epoch (for a schedule drawn per step, the distribution's mean).</summary>
    public IReadOnlyDictionary<string, double> ReportedMetrics(int epoch, int totalEpochs) => new Dictionary<string, double> { ["alpha"] = adaptor.Weight(epoch, totalEpochs) };

    public Tensor Loss(BranchOutputs outputs, MethodStep position)
    {
        double alpha = adaptor.Weight(new ScheduleStep(position.Epoch, position.TotalEpochs, position.Step, position.Random));
        using var mixed = MixFeatures(outputs.Features[0], outputs.Features[1], alpha);
        using var logits = outputs.Classify(mixed);
        using var conventional = outputs.LossOf(logits, 0);
        using var rebalancing = outputs.LossOf(logits, 1);
        using Scalar conventionalWeight = alpha.ToScalar(), rebalancingWeight = (1 - alpha).ToScalar();
        using var weightedC = conventional.mul(conventionalWeight);
        using var weightedR = rebalancing.mul(rebalancingWeight);
        return weightedC.add(weightedR, Scalars.One);
    }

    public IReadOnlyList<TrainingStage> Stages(StagePlan plan) => [new("bilateral", plan.Epochs, NetworkParts.All, plan.Optimizer)];

    /// <summary>The inference alpha: the paper fixes 0.5 (cat(f_c, f_r)); post-hoc tuning may search [0, 1] in steps of 0.05.</summary>
    public InferenceKnob InferenceKnob { get; } = new("alpha", 0.5, [.. Enumerable.Range(0, 21).Select(i => Math.Round(i * 0.05, 6))],
        (features, alpha) => MixFeatures(features[0], features[1], alpha));

    /// <summary>f = 2 * cat(alpha * f_c, (1 - alpha) * f_r).</summary>
    public static Tensor MixFeatures(Tensor conventional, Tensor rebalancing, double alpha)
    {
        using Scalar conventionalWeight = (2 * alpha).ToScalar(), rebalancingWeight = (2 * (1 - alpha)).ToScalar();
        using var weightedC = conventional.mul(conventionalWeight);
        using var weightedR = rebalancing.mul(rebalancingWeight);
        return cat([weightedC, weightedR], 1);
    }
}

/// <summary>One branch, one loss: z = W f + b, L(z, y).</summary>
public sealed class SingleBranch : ITrainingMethod
{
    public IReadOnlyList<MethodBranch> Branches { get; } = [Methods.Branches.Conventional];

    public Tensor Loss(BranchOutputs outputs, MethodStep position)
    {
        using var logits = outputs.Classify(outputs.Features[0]);
        return outputs.LossOf(logits, 0);
    }

    public IReadOnlyList<TrainingStage> Stages(StagePlan plan) => [new("single-branch", plan.Epochs, NetworkParts.All, plan.Optimizer)];
}
