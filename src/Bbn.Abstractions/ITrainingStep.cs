using static TorchSharp.torch;

namespace Bbn.Abstractions;

/// <summary>
/// One optimiser step as a method sees it (<see cref="ITrainingMethod.TrainStep"/>), as mmengine's <c>train_step(data, optim_wrapper)</c>:
/// the step's batches, the branch passes over them, and the update, which owns gradient accumulation, the average over
/// the ranks, clipping, the non-finite guard, the optimiser and the stage's hooks. Every tensor lives in the step's
/// dispose scope. (Contracts 2.0.)
/// </summary>
public interface ITrainingStep
{
    /// <summary>Where the step stands; every read gives a fresh generator from the same seed, so each micro-batch draws alike.</summary>
    MethodStep Position { get; }

    /// <summary>The micro-batches the step is split into (Bbn:Training:AccumulationSteps); <see cref="Update"/> asks for each one's loss.</summary>
    int Parts { get; }

    /// <summary>
    /// The branch passes over micro-batch <paramref name="part"/>, in augmented view <paramref name="view"/> (from 0, below
    /// <see cref="ITrainingMethod.Views"/>): every branch's features and targets, the classifier and the stage's loss.
    /// </summary>
    BranchOutputs Forward(int part, int view = 0);

    /// <summary>The classifier's parameters, live (a loss may use its weights, as class prototypes, and train them).</summary>
    ClassifierParameters Classifier { get; }

    /// <summary>
    /// The update: <paramref name="partLoss"/> gives each micro-batch's loss, a scalar. Returns the batch's loss, or NaN for a
    /// non-finite step that Bbn:Training:SkipNonFiniteSteps let pass without an update.
    /// </summary>
    double Update(Func<int, Tensor> partLoss);
}
