namespace Bbn.Core.Training.Hooks;

/// <summary>
/// The active stage's learning-rate schedule, set before every step (mmengine's ParamSchedulerHook). It keeps no state:
/// the rate is a function of the stage, epoch and step, so a resumed run sets the rates an uninterrupted one does.
/// </summary>
public sealed class LearningRateHook : ITrainingHook
{
    public void StepStarting(TrainingSession session, StepStart starting) =>
        session.Optimization.LearningRate = session.Stages.LearningRate(starting.Epoch, starting.Step, starting.Steps);
}
