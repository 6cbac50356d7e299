using Bbn.Abstractions;
using Bbn.Abstractions.Optimizers;
using Bbn.Core.Distributed;
using Bbn.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Core.Training;

/// <summary>
/// The optimiser of the active stage and everything around its update, as mmengine's OptimWrapper: the micro-batches of
/// gradient accumulation, the average over the ranks, clipping, the non-finite guard, the update, the stage's constraint on
/// the classifier. A step gives it the loss of each micro-batch; it does the rest (the moving average of the weights follows
/// in <see cref="Hooks.WeightAverageHook"/>).
/// </summary>
/// <remarks><c>configured</c> is Bbn:Optimizer's factory (null: SGD), used by stages that name none of their own.</remarks>
public sealed class OptimizerStep(TrainingOptions options, Distributed.DataParallel parallel, BranchNetwork network,
    IOptimizerFactory? configured = null, double trunkRateScale = 1) : IDisposable
{
    /// <summary>The trunk's parameters, which train at <c>trunkRateScale</c> times the schedule's rate (Bbn:Backbone:TrunkLearningRateScale).</summary>
    private readonly HashSet<TorchSharp.Modules.Parameter> trunk = trunkRateScale == 1 ? [] : network.Trunk.parameters().ToHashSet();

    private int skippedSteps;
    private double[] scales = [1.0];

    /// <summary>The active stage's optimiser, or null before the first stage.</summary>
    public TorchSharp.Modules.OptimizerHelper? Optimizer { get; private set; }

    /// <summary>Micro-batches a step is split into (Bbn:Training:AccumulationSteps).</summary>
    public int Parts => Math.Max(1, options.AccumulationSteps);

    /// <summary>
    /// A fresh optimiser over <paramref name="trainable"/> with the stage's settings (a new stage starts its momentum from zero):
    /// the stage's own factory, else Bbn:Optimizer's, else SGD.
    /// </summary>
    public void Reset(IReadOnlyList<TorchSharp.Modules.Parameter> trainable, TrainingStage stage)
    {
        Optimizer?.Dispose();
        var o = stage.Optimizer;
        var factory = stage.OptimizerFactory ?? configured;
        OptimizerGroup[] groups = trunk.Count == 0 || !trainable.Any(trunk.Contains)
            ? [new OptimizerGroup(trainable)]
            : [new OptimizerGroup([.. trainable.Where(trunk.Contains)], trunkRateScale), new OptimizerGroup([.. trainable.Where(p => !trunk.Contains(p))])];
        groups = [.. groups.Where(g => g.Parameters.Count > 0)];
        if (factory is null)
        {
            // One group as before fine-tuning existed, so that plain runs keep their numbers.
            Optimizer = groups.Length == 1 && groups[0].LearningRateScale == 1
                ? new SafeSgd(trainable, o.LearningRate, o.Momentum, o.WeightDecay, o.Nesterov && o.Momentum > 0)
                : new SafeSgd(groups, o.LearningRate, o.Momentum, o.WeightDecay, o.Nesterov && o.Momentum > 0);
            scales = [.. groups.Select(g => g.LearningRateScale)];
            return;
        }
        Optimizer = factory.Create(groups, o);
        scales = [.. groups.Select(g => g.LearningRateScale)];
    }

    /// <summary>The schedule's rate from the next update on: each parameter group gets it times the group's scale.</summary>
    public double LearningRate
    {
        get => Optimizer!.ParamGroups.Last().LearningRate / scales[^1];
        set
        {
            int i = 0;
            foreach (var group in Optimizer!.ParamGroups) group.LearningRate = value * scales[Math.Min(i++, scales.Length - 1)];
        }
    }

    /// <summary>
    /// One update: <paramref name="partLoss"/> gives each micro-batch's loss, <paramref name="backward"/> runs its backward
    /// pass; returns the batch's loss, or NaN for a non-finite loss or gradient that <see cref="TrainingOptions.SkipNonFiniteSteps"/>
    /// lets pass without an update (else <see cref="DivergenceException"/>, naming <paramref name="where"/>). After the update
    /// the stage's <paramref name="hooks"/> see the classifier (<see cref="IStageHook.AfterOptimizerStep"/>).
    /// </summary>
    public double Update(Func<int, Tensor> partLoss, Action<Tensor> backward, double gradientNormBound, IReadOnlyList<IStageHook> hooks,
        (int Stage, int Epoch, int Step) where)
    {
        int parts = Parts;
        double total = 0;
        for (int part = 0; part < parts; part++)
        {
            var loss = partLoss(part);
            using Scalar partCount = parts.ToScalar();
            if (parts > 1) loss = loss.div(partCount);
            if (part == 0) Optimizer!.zero_grad();
            backward(loss);
            total += loss.item<float>();
        }
        // Every rank's mean over its share: the averages over the ranks are the global batch's gradient and loss.
        parallel.Gradients.Average(Optimizer!.parameters());
        total = parallel.Group.Average(total);
        // The global gradient norm, clipped to the bound (an infinite bound leaves the gradients as they are).
        double gradientNorm = nn.utils.clip_grad_norm_(Optimizer.parameters(), gradientNormBound);
        string? nonFinite = !double.IsFinite(total) ? "loss" : !double.IsFinite(gradientNorm) ? "gradient" : null;
        if (nonFinite is not null)
        {
            Optimizer.zero_grad();
            if (++skippedSteps > options.SkipNonFiniteSteps)
                throw new DivergenceException(where.Stage, where.Epoch, where.Step, LearningRate, nonFinite);
            return double.NaN;
        }
        Optimizer.step();
        if (hooks.Count > 0)
        {
            using var _ = no_grad();
            var classifier = network.ClassifierTensors();
            foreach (var hook in hooks) hook.AfterOptimizerStep(classifier);
        }
        return total;
    }

    public void Dispose() => Optimizer?.Dispose();
}
