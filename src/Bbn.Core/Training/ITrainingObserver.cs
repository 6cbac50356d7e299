namespace Bbn.Core.Training;

/// <summary>Receives the trainer's progress (the hosted service logs it; tests record it).</summary>
public interface ITrainingObserver
{
    void StepCompleted(StepProgress progress);
    void EpochCompleted(EpochMetrics metrics, TimeSpan runRemaining);
}

/// <summary>Progress within an epoch: running mean loss and throughput so far.</summary>
public sealed record StepProgress(int Epoch, int Step, int StepsInEpoch, double MeanLoss, double ImagesPerSecond, TimeSpan EpochRemaining);

/// <summary>How a call to <see cref="BbnTrainer.Run"/> ended.</summary>
public enum TrainingOutcome
{
    Completed,
    Stopped,
}

/// <summary>Names recorded in checkpoints so that a checkpoint is not loaded into another composition.</summary>
public sealed record RunIdentity(string Backbone, string Dataset);
