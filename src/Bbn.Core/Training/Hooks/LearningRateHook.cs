namespace Bbn.Core.Training.Hooks;

/// <summary>
/// The active stage's learning-rate schedule, set before every step (mmengine's ParamSchedulerHook). It keeps no state:
/// the rate is a function of the stage, epoch and step, so a resumed run sets the rates an uninterrupted one does.
/// </summary>
public sealed class LearningRateHook(StageController stages, OptimizerStep optimization) : ITrainingHook
{
    public void StepStarting(StepStart starting) =>
        optimization.LearningRate = stages.LearningRate(starting.Epoch, starting.Step, starting.Steps);
}
