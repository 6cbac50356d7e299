using Bbn.Core.Runs;
using System.Diagnostics;
using Bbn.Core.Distributed;
using Bbn.Core.Evaluation;
using Bbn.Core.Training.Hooks;

namespace Bbn.Core.Training;

/// <summary>
/// The one training loop of every method: stages, then epochs, then steps. Everything around the
/// steps (evaluation, checkpoints, run records, instruments, heap release, progress) is a
/// <see cref="ITrainingHook"/>, so a method plugs into the loop without changing it.
/// </summary>
public static class TrainingLoop
{
    /// <summary>Runs with the standard hooks of a run directory (<see cref="TrainingHooks.Standard"/>).</summary>
    public static TrainingOutcome Run(TrainingSession session, RunDirectory run, TrainingPosition start, ITrainingObserver observer,
        CancellationToken cancellation, TrainerInstruments? instruments = null, ValidationOptions? validation = null, PostHocOptions? postHoc = null) =>
        Run(session, start, TrainingHooks.Standard(session, run, observer, instruments, validation, postHoc), cancellation);

    /// <summary>
    /// Runs from <paramref name="start"/> to the last step of the last stage, or until cancellation (then the hooks' Stopped).
    /// The learning-rate schedule (<see cref="LearningRateHook"/>) runs before <paramref name="hooks"/>, and the weight average
    /// (<see cref="WeightAverageHook"/>, with Bbn:Training:EmaDecay) first after each step.
    /// </summary>
    public static TrainingOutcome Run(TrainingSession session, TrainingPosition start, IReadOnlyList<ITrainingHook> hooks, CancellationToken cancellation)
    {
        hooks = session.Average is { } average
            ? [new LearningRateHook(session.Stages, session.Optimization), new WeightAverageHook(average), .. hooks]
            : [new LearningRateHook(session.Stages, session.Optimization), .. hooks];
        session.Checkpoints.Track(hooks.OfType<IStatefulHook>());
        var position = start;
        var epochClock = new List<double>();
        string selectionMetric = hooks.OfType<SelectionHook>().FirstOrDefault()?.Metric ?? new ValidationOptions().SelectBy;
        foreach (var hook in hooks) hook.RunStarting(position);
        var stages = session.Stages;
        for (int stage = position.Stage; stage <= stages.Count; stage++)
        {
            if (stages.Active != stage) session.BeginStage(stage, position.AtStageStart);
            foreach (var hook in hooks) hook.StageStarting(stage);
            int stageEpochs = stages[stage].Epochs;
            for (int epoch = position.Epoch; epoch <= stageEpochs; epoch++)
            {
                var plan = stages.PlanEpoch(epoch);
                int steps = stages.StepsIn(plan);
                double lr = stages.LearningRate(epoch);
                int runEpoch = stages.RunEpoch(stage, epoch);
                session.BeginEpoch(plan, position.Step, steps);
                var epochWatch = Stopwatch.StartNew();
                long epochImages = 0;
                double epochTrainingSeconds = 0;
                int firstStep = position.Step;

                for (int step = position.Step; step < steps; step++)
                {
                    // Agreed over the ranks, so that all of them stop before the same step.
                    if (session.Parallel.Group.AnyTrue(cancellation.IsCancellationRequested))
                    {
                        foreach (var hook in hooks) hook.Stopped(position);
                        return TrainingOutcome.Stopped;
                    }
                    var starting = new StepStart(stage, epoch, step, steps);
                    foreach (var hook in hooks) hook.StepStarting(starting);
                    lr = session.Optimization.LearningRate;
                    var stepWatch = Stopwatch.StartNew();
                    double loss = session.Step(plan, step);
                    bool skipped = double.IsNaN(loss); // a non-finite step that SkipNonFiniteSteps let pass: no update, not in the epoch's loss
                    double seconds = stepWatch.Elapsed.TotalSeconds;
                    int images = session.ImagesPerStep;
                    epochImages += images;
                    epochTrainingSeconds += seconds;
                    position = position with
                    {
                        Step = step + 1,
                        EpochLossSum = position.EpochLossSum + (skipped ? 0 : loss * session.Options.BatchSize),
                        EpochSamples = position.EpochSamples + (skipped ? 0 : session.Options.BatchSize),
                        ImagesSeen = position.ImagesSeen + images,
                        TrainingSeconds = position.TrainingSeconds + seconds,
                    };
                    var record = new StepRecord(stage, runEpoch, step + 1, steps, firstStep, loss, images, position,
                        epochImages / epochTrainingSeconds, epochWatch.Elapsed);
                    foreach (var hook in hooks) hook.StepCompleted(record);
                }

                bool lastOfStage = epoch == stageEpochs;
                bool final = lastOfStage && stage == stages.Count;
                if (lastOfStage) stages.End(stage);
                var end = new EpochEnd(stage, epoch, runEpoch, steps, final);
                foreach (var hook in hooks) hook.EpochEnding(end);
                double epochSeconds = epochWatch.Elapsed.TotalSeconds;
                epochClock.Add(epochSeconds);
                var report = end.Report;
                end.Metrics = new EpochMetrics(runEpoch, lr, position.EpochLossSum / Math.Max(1, position.EpochSamples),
                    report?.Top1, report?.Many, report?.Medium, report?.Few, epochImages / Math.Max(1e-9, epochTrainingSeconds), epochSeconds, steps,
                    stage, end.AverageReport?.Top1, end.ValidationReport?.Top1,
                    end.ValidationReport is { } validation ? ModelSelection.Score(validation, selectionMetric) : null, stages.MethodMetrics(epoch),
                    end.ValidationReport is { } scored ? ModelSelection.StandardError(scored, selectionMetric) : null);
                position = lastOfStage && !final
                    ? position with { Stage = stage + 1, Epoch = 1, Step = 0, EpochLossSum = 0, EpochSamples = 0 }
                    : position with { Epoch = epoch + 1, Step = 0, EpochLossSum = 0, EpochSamples = 0 };
                end.Position = position;
                end.RunRemaining = TimeSpan.FromSeconds(epochClock.Average() * (stages.TotalEpochs - runEpoch));
                foreach (var hook in hooks) hook.EpochCompleted(end);
            }
        }
        return TrainingOutcome.Completed;
    }
}
