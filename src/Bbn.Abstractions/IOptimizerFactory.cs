namespace Bbn.Abstractions;

/// <summary>
/// An optimiser (component kind "optimizer", chosen by Bbn:Optimizer:Name; a stage may name its own through
/// <see cref="TrainingStage.OptimizerFactory"/>): it makes the optimiser of one stage over the parameters that stage trains.
/// The kernel sets each group's learning rate before every step (its base rate from the schedule times the group's scale).
/// (Contracts 1.7.)
/// </summary>
public interface IOptimizerFactory
{
    /// <summary>The optimiser over <paramref name="groups"/> with the stage's <paramref name="settings"/> (base rate, weight decay, and for SGD momentum and Nesterov).</summary>
    TorchSharp.Modules.OptimizerHelper Create(IReadOnlyList<OptimizerGroup> groups, StageOptimizer settings);
}

/// <summary>Parameters that share a learning-rate scale (for example a pretrained trunk trained at a tenth of the rate).</summary>
/// <param name="Parameters">The group's parameters.</param>
/// <param name="LearningRateScale">The group's rate as a multiple of the schedule's.</param>
public sealed record OptimizerGroup(IReadOnlyList<TorchSharp.Modules.Parameter> Parameters, double LearningRateScale = 1);

/// <summary>
/// A stage's learning rate as a function of where the step stands (a stage may bring its own through
/// <see cref="TrainingStage.RateShape"/>; otherwise <see cref="StageOptimizer.Schedule"/> names a built-in one). (Contracts 1.7.)
/// </summary>
public interface ILearningRateShape
{
    /// <summary>The rate of the step at <paramref name="position"/>, from the stage's <paramref name="baseRate"/>.</summary>
    double Rate(double baseRate, RatePosition position);
}

/// <summary>Where a step stands in its stage, for <see cref="ILearningRateShape"/>.</summary>
/// <param name="Epoch">The epoch within the stage, from 1.</param>
/// <param name="Step">The step within the epoch, from 0.</param>
/// <param name="StepsPerEpoch">The epoch's steps (1 when the rate of an epoch as a whole is asked for, as status.json does).</param>
/// <param name="StageEpochs">The stage's epochs.</param>
public sealed record RatePosition(int Epoch, int Step, int StepsPerEpoch, int StageEpochs)
{
    /// <summary>The fraction of the stage done before this step, from 0 to below 1.</summary>
    public double Progress => ((Epoch - 1) + (Step / (double)Math.Max(1, StepsPerEpoch))) / Math.Max(1, StageEpochs);
}
