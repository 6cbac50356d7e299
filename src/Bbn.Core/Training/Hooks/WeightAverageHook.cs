namespace Bbn.Core.Training.Hooks;

/// <summary>
/// The moving average of the weights (Bbn:Training:EmaDecay), moved one step after every update that happened (mmengine's
/// EMAHook after_train_iter); a non-finite step that was skipped leaves it as it is. Its state is the average itself,
/// which the checkpoint keeps beside the weights.
/// </summary>
public sealed class WeightAverageHook(WeightAverage average) : ITrainingHook
{
    public void StepCompleted(StepRecord completed)
    {
        if (!double.IsNaN(completed.Loss)) average.Update();
    }
}
