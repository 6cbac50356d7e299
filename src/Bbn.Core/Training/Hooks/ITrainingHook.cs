using Bbn.Core.Runs;
using Bbn.Core.Evaluation;

namespace Bbn.Core.Training.Hooks;

/// <summary>
/// Work around <see cref="TrainingLoop"/>'s steps: every member has an empty default, a hook
/// overrides what it needs. The loop calls the hooks in their order. A hook is given the parts of the
/// session it works with when it is made (<see cref="TrainingHooks"/>), never the session.
/// </summary>
public interface ITrainingHook
{
    /// <summary>Before the first step, from <paramref name="start"/> (a fresh run or a resumed one).</summary>
    void RunStarting(TrainingPosition start) { }

    /// <summary>A stage became the active one (its optimiser and frozen parts set), before its first step of this run.</summary>
    void StageStarting(int stage) { }

    /// <summary>Before every optimiser step.</summary>
    void StepStarting(StepStart starting) { }

    /// <summary>After every optimiser step.</summary>
    void StepCompleted(StepRecord completed) { }

    /// <summary>After an epoch's last step, before its metrics exist: evaluation fills <see cref="EpochEnd.Report"/>.</summary>
    void EpochEnding(EpochEnd epoch) { }

    /// <summary>After <see cref="EpochEnd.Metrics"/> and the next position are known.</summary>
    void EpochCompleted(EpochEnd epoch) { }

    /// <summary>Cancellation stopped the run before the step of <paramref name="position"/>.</summary>
    void Stopped(TrainingPosition position) { }
}

/// <summary>
/// A hook whose state outlives an epoch: the checkpoint keeps it under <see cref="StateKey"/>, and a resumed run gives it
/// back before <see cref="ITrainingHook.RunStarting"/>, so that the run warns, estimates and selects as an uninterrupted one does.
/// </summary>
public interface IStatefulHook
{
    /// <summary>The state's name in the checkpoint (unique among a run's hooks).</summary>
    string StateKey { get; }

    System.Text.Json.JsonElement SaveState();

    void LoadState(System.Text.Json.JsonElement state);
}

/// <summary>A step about to run.</summary>
/// <param name="Stage">The stage, from 1.</param>
/// <param name="Epoch">The epoch within the stage, from 1.</param>
/// <param name="Step">The step within the epoch, from 0.</param>
/// <param name="Steps">The epoch's steps.</param>
public sealed record StepStart(int Stage, int Epoch, int Step, int Steps);

/// <summary>One completed step.</summary>
/// <param name="Stage">The stage, from 1.</param>
/// <param name="RunEpoch">The epoch counted over every stage.</param>
/// <param name="Step">Steps done in the epoch.</param>
/// <param name="Steps">The epoch's steps.</param>
/// <param name="FirstStep">The step the epoch (or its resumption) began at.</param>
/// <param name="Loss">The step's loss.</param>
/// <param name="Images">Images forwarded (every branch's).</param>
/// <param name="Position">Where the run stands after the step.</param>
/// <param name="ImagesPerSecond">The epoch's training throughput so far.</param>
/// <param name="EpochElapsed">Wall time since the epoch (or its resumption) began.</param>
public sealed record StepRecord(int Stage, int RunEpoch, int Step, int Steps, int FirstStep, double Loss, int Images, TrainingPosition Position,
    double ImagesPerSecond, TimeSpan EpochElapsed);

/// <summary>The end of an epoch, filled in by the loop and the hooks in turn.</summary>
public sealed class EpochEnd(int stage, int epoch, int runEpoch, int steps, bool final)
{
    public int Stage { get; } = stage;

    /// <summary>The epoch within the stage, from 1.</summary>
    public int Epoch { get; } = epoch;

    /// <summary>The epoch counted over every stage.</summary>
    public int RunEpoch { get; } = runEpoch;

    public int Steps { get; } = steps;

    /// <summary>The last epoch of the run.</summary>
    public bool Final { get; } = final;

    /// <summary>The test set's evaluation, when this epoch was evaluated.</summary>
    public EvaluationReport? Report { get; set; }

    /// <summary>The validation split's evaluation, when this epoch was evaluated and there is one.</summary>
    public EvaluationReport? ValidationReport { get; set; }

    /// <summary>The evaluation of the moving average of the weights, when there is one.</summary>
    public EvaluationReport? AverageReport { get; set; }

    public EpochMetrics? Metrics { get; set; }

    /// <summary>Where the run continues (the next stage's start after a stage's last epoch).</summary>
    public TrainingPosition? Position { get; set; }

    public TimeSpan RunRemaining { get; set; }
}
