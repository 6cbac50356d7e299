using Bbn.Core.Runs;

namespace Bbn.Core.Training;

/// <summary>Receives the trainer's progress (the hosted service logs it; tests record it).</summary>
public interface ITrainingObserver
{
    /// <summary>Stage <paramref name="stage"/> of <paramref name="stages"/> begins (or resumes); <paramref name="branchExecution"/> says how its steps run the branch passes.</summary>
    void StageStarted(int stage, int stages, string name, string branchExecution) { }

    void StepCompleted(StepProgress progress);
    void EpochCompleted(EpochMetrics metrics, TimeSpan runRemaining);

    /// <summary>The test set was evaluated at the end of <paramref name="epoch"/> (before <see cref="EpochCompleted"/>).</summary>
    void Evaluated(int epoch, Evaluation.EvaluationReport report) { }

    /// <summary>
    /// Resident memory had grown past <see cref="TrainingOptions.MemoryGrowthTolerance"/> at the end of
    /// <paramref name="epoch"/>, so the native heap's free memory was given back (before <see cref="EpochCompleted"/>).
    /// </summary>
    void HeapReleased(int epoch, long residentBytesBefore, long residentBytesAfter) { }

    /// <summary>
    /// The run's training time, estimated from its first <paramref name="measuredSteps"/> steps for the
    /// <paramref name="remainingSteps"/> still to come (evaluations and checkpoints not included).
    /// </summary>
    void Estimated(TimeSpan training, int remainingSteps, int measuredSteps) { }

    /// <summary>The run shows a sign of not learning (raised once per kind, after the epoch's records).</summary>
    void Warned(RunWarning warning) { }
}

/// <summary>Passes every report to each of several observers, in order.</summary>
public sealed class CompositeObserver(params ITrainingObserver[] observers) : ITrainingObserver
{
    public void StageStarted(int stage, int stages, string name, string branchExecution)
    {
        foreach (var o in observers) o.StageStarted(stage, stages, name, branchExecution);
    }

    public void StepCompleted(StepProgress progress)
    {
        foreach (var o in observers) o.StepCompleted(progress);
    }

    public void EpochCompleted(EpochMetrics metrics, TimeSpan runRemaining)
    {
        foreach (var o in observers) o.EpochCompleted(metrics, runRemaining);
    }

    public void Evaluated(int epoch, Evaluation.EvaluationReport report)
    {
        foreach (var o in observers) o.Evaluated(epoch, report);
    }

    public void HeapReleased(int epoch, long residentBytesBefore, long residentBytesAfter)
    {
        foreach (var o in observers) o.HeapReleased(epoch, residentBytesBefore, residentBytesAfter);
    }

    public void Warned(RunWarning warning)
    {
        foreach (var o in observers) o.Warned(warning);
    }

    public void Estimated(TimeSpan training, int remainingSteps, int measuredSteps)
    {
        foreach (var o in observers) o.Estimated(training, remainingSteps, measuredSteps);
    }
}

/// <summary>Progress within an epoch (counted over every stage): running mean loss and throughput so far.</summary>
public sealed record StepProgress(int Epoch, int Step, int StepsInEpoch, double MeanLoss, double ImagesPerSecond, TimeSpan EpochRemaining, int Stage = 1);

/// <summary>How a call to TrainingLoop.Run ended.</summary>
public enum TrainingOutcome
{
    Completed,
    Stopped,
}

/// <summary>Names recorded in checkpoints so that a checkpoint is not loaded into another composition.</summary>
public sealed record RunIdentity(string Backbone, string Dataset, string? Loss = null);
