using static TorchSharp.torch;

namespace Bbn.Abstractions;

/// <summary>
/// Work a method does at fixed points of one of its stages (<see cref="TrainingStage.Hooks"/>), as Lightning's callbacks:
/// every member has an empty default. It takes the place of per-method flags on the stage (a re-initialised classifier,
/// batch norms that keep updating, a constraint after each update). (Contracts 2.0.)
/// </summary>
public interface IStageHook
{
    /// <summary>
    /// The stage became the active one, its frozen parts set. <paramref name="atStageStart"/>: nothing of the stage has run yet
    /// (false when a resumed run enters it mid-way: the checkpoint already holds what the hook changed).
    /// </summary>
    void StageStarting(IStageNetwork network, bool atStageStart) { }

    /// <summary>
    /// The kernel has set the training modes (the network training, the batch norms of the parts the stage does not train
    /// evaluating, keeping their statistics): after the stage starts and after every evaluation.
    /// </summary>
    void ModesSet(IStageNetwork network) { }

    /// <summary>After every optimiser step, on the classifier's tensors under no_grad (a constraint such as a MaxNorm projection).</summary>
    void AfterOptimizerStep(ClassifierParameters classifier) { }
}

/// <summary>A hook that changes the classifier when its stage ends (tau-normalisation); the checkpoint names that stage. (Contracts 2.0.)</summary>
public interface IStageEndHook : IStageHook
{
    /// <summary>The stage's last step is done: change the classifier's tensors (under no_grad).</summary>
    void StageEnding(ClassifierParameters classifier);
}

/// <summary>The network as a stage hook sees it. (Contracts 2.0.)</summary>
public interface IStageNetwork
{
    /// <summary>The classifier's tensors.</summary>
    ClassifierParameters Classifier { get; }

    /// <summary>
    /// Fresh classifier weights drawn from a seed of the run and the stage (so a run resumed at the stage's start draws the
    /// same), with the starting bias the stage's loss asks for (focal loss's prior).
    /// </summary>
    void ReinitializeClassifier();

    /// <summary>The normalisation layers (batch norms) of <paramref name="parts"/>, whose train/eval mode a hook may set.</summary>
    IReadOnlyList<nn.Module> NormsOf(NetworkParts parts);
}
