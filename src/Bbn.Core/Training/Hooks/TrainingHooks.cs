using System.Diagnostics;
using Bbn.Core.Evaluation;

namespace Bbn.Core.Training.Hooks;

/// <summary>The hooks of a run that writes a run directory, in the order they must run.</summary>
public static class TrainingHooks
{
    public static IReadOnlyList<ITrainingHook> Standard(TrainingSession session, RunDirectory run, ITrainingObserver observer, TrainerInstruments? instruments,
        ValidationOptions? validation = null, PostHocOptions? postHoc = null)
    {
        var health = new LearningHealthHook(observer);
        var selection = new SelectionHook(run, (validation ?? new()).SelectBy);
        var tuning = new PostHocHook(selection.Metric, postHoc ?? new());
        return
        [
            new DataParallelHook(),
            new InstrumentsHook(instruments),
            new EvaluationHook(),
            selection,
            tuning,
            new CheckpointHook(run),
            new HeapReleaseHook(session.Options.MemoryGrowthTolerance, observer),
            health,
            new RunRecordsHook(run, health, selection, tuning),
            new ObserverHook(observer),
        ];
    }

    /// <summary>
    /// The hooks of a rank other than 0 in a data-parallel run: it takes part in every collective
    /// (buffer averaging, the sharded evaluations, the post-hoc tuning's evaluation) and writes nothing.
    /// </summary>
    public static IReadOnlyList<ITrainingHook> Worker(TrainingSession session, ITrainingObserver observer, PostHocOptions? postHoc = null, ValidationOptions? validation = null) =>
    [
        new DataParallelHook(),
        new EvaluationHook(),
        new PostHocHook((validation ?? new()).SelectBy, postHoc ?? new()),
        new HeapReleaseHook(session.Options.MemoryGrowthTolerance, observer),
    ];
}

/// <summary>
/// Averages the batch-norm running statistics over the ranks at every epoch's end and at a stop,
/// before anything evaluates or saves the network, so that every rank evaluates, and rank 0 saves, the same
/// network; and, when asked, checks that the ranks' weights agree.
/// </summary>
public sealed class DataParallelHook : ITrainingHook
{
    /// <summary>Bbn:Distributed:CheckWeightsEvery: the ranks compare their weights after every so many steps.</summary>
    public void StepCompleted(TrainingSession session, StepRecord completed)
    {
        int every = session.Parallel.CheckWeightsEvery;
        if (every > 0 && completed.Position.ImagesSeen / session.ImagesPerStep % every == 0)
            session.Parallel.CheckWeightsAgree(session.Network, $"after step {completed.Step} of epoch {completed.RunEpoch}");
    }

    public void EpochEnding(TrainingSession session, EpochEnd epoch) => session.Parallel.AverageBuffers(session.Network);

    public void Stopped(TrainingSession session, TrainingPosition position) => session.Parallel.AverageBuffers(session.Network);
}

/// <summary>Evaluates the test set and the validation split every Bbn:Training:EvaluateEvery epochs and at the end (and the weight average, when there is one).</summary>
public sealed class EvaluationHook : ITrainingHook
{
    public void EpochEnding(TrainingSession session, EpochEnd epoch)
    {
        if (!epoch.Final && epoch.RunEpoch % Math.Max(1, session.Options.EvaluateEvery) != 0) return;
        epoch.Report = session.Evaluation.Test();
        epoch.ValidationReport = session.Evaluation.Validation();
        epoch.AverageReport = session.Evaluation.Average();
    }
}

/// <summary>
/// Keeps the best epoch by the validation split (Bbn:Validation:SelectBy): its weights in best.bbn
/// and, in selection.json, which epoch, its score and its test figures. The first of equal scores stays.
/// </summary>
public sealed class SelectionHook(RunDirectory run, string metric) : ITrainingHook
{
    public SelectedEpoch? Best { get; private set; }

    public string Metric => metric;

    public void RunStarting(TrainingSession session, TrainingPosition start) =>
        Best = start == TrainingPosition.Start ? null : run.ReadSelection();

    public void EpochCompleted(TrainingSession session, EpochEnd epoch)
    {
        if (epoch.ValidationReport is not { } validation || epoch.Report is not { } test) return;
        double score = epoch.Metrics!.ValidationScore!.Value; // the loop scored it by this hook's metric
        if (Best is not null && !(score > Best.Score)) return;
        session.Checkpoints.Save(run.BestCheckpointPath, epoch.Position!, completed: epoch.Final);
        Best = new SelectedEpoch(metric, epoch.RunEpoch, score, test.Top1, test.Many, test.Medium, test.Few, run.BestCheckpointPath, validation.Samples);
        run.WriteSelection(Best);
    }
}



/// <summary>
/// After the last epoch, tunes the inference knobs on the validation split (Bbn:PostHoc), before the
/// last checkpoint is written, so that checkpoint.bbn records them; <see cref="Tuning"/> holds the
/// grids and the test figures without and with them.
/// </summary>
public sealed class PostHocHook(string metric, PostHocOptions options) : ITrainingHook
{
    public PostHocTuning? Tuning { get; private set; }

    public void EpochCompleted(TrainingSession session, EpochEnd epoch)
    {
        if (!epoch.Final || !options.Tune || epoch.Report is null) return;
        var tuning = session.Evaluation.TunePostHoc(metric, options);
        if (tuning is null) return;
        session.Evaluation.Tuned = tuning.Settings;
        var after = tuning.Settings.IsIdentity ? epoch.Report : session.Evaluation.Test(tuning.Settings);
        Tuning = tuning with { TestBefore = PostHocTest.Of(epoch.Report), TestAfter = PostHocTest.Of(after) };
    }
}

/// <summary>Writes checkpoint.bbn after every epoch and when the run stops.</summary>
public sealed class CheckpointHook(RunDirectory run) : ITrainingHook
{
    public void EpochCompleted(TrainingSession session, EpochEnd epoch) => session.Checkpoints.Save(run.CheckpointPath, epoch.Position!, completed: epoch.Final);

    public void Stopped(TrainingSession session, TrainingPosition position) => session.Checkpoints.Save(run.CheckpointPath, position, completed: false);
}

/// <summary>
/// Collects managed garbage after every epoch and gives the native heap's free memory back when
/// resident memory grew past Bbn:Training:MemoryGrowthTolerance (<see cref="Runtime.HeapReleasePolicy"/>).
/// </summary>
public sealed class HeapReleaseHook(double tolerance, ITrainingObserver observer) : ITrainingHook
{
    private readonly Runtime.HeapReleasePolicy policy = new(tolerance);

    public void EpochCompleted(TrainingSession session, EpochEnd epoch)
    {
        Runtime.NativeHeap.CollectManagedGarbage();
        if (!policy.ShouldRelease()) return;
        long before = Environment.WorkingSet;
        Runtime.NativeHeap.Release();
        session.ReleaseMemory();
        observer.HeapReleased(epoch.RunEpoch, before, Environment.WorkingSet);
    }
}

/// <summary>status.json, metrics.jsonl and, at the end, summary.json.</summary>
public sealed class RunRecordsHook(RunDirectory run, LearningHealthHook? health = null, SelectionHook? selection = null, PostHocHook? postHoc = null) : ITrainingHook
{
    private EpochMetrics? last;

    public void RunStarting(TrainingSession session, TrainingPosition start) => run.WriteStatus(Status(session, RunStatus.Running, start, null));

    public void EpochCompleted(TrainingSession session, EpochEnd epoch)
    {
        run.AppendMetrics(epoch.Metrics!);
        last = epoch.Metrics;
        if (epoch.Final)
            run.WriteSummary(session.Summarize(epoch.Report!, epoch.Position!, run.CheckpointPath) with
            {
                EmaTop1 = epoch.AverageReport?.Top1,
                Warnings = Warnings,
                Selection = selection?.Best,
                PostHoc = postHoc?.Tuning,
                ValidationTop1 = epoch.Metrics!.ValidationTop1,
                ValidationScore = epoch.Metrics.ValidationScore,
            });
        run.WriteStatus(Status(session, epoch.Final ? RunStatus.Completed : RunStatus.Running, epoch.Position!, epoch.RunRemaining.TotalSeconds));
    }

    public void Stopped(TrainingSession session, TrainingPosition position) => run.WriteStatus(Status(session, RunStatus.Stopped, position, null));

    private RunStatus Status(TrainingSession session, string state, TrainingPosition position, double? etaSeconds)
    {
        int stage = Math.Min(position.Stage, session.Stages.Count);
        int epoch = Math.Min(position.Epoch, session.Stages[stage].Epochs);
        double? alpha = session.Stages.Active == stage ? session.Stages.Alpha(epoch) : null;
        double? lr = session.Stages.Active == stage ? session.Stages.LearningRate(epoch) : null;
        return new RunStatus(state, session.Stages.RunEpoch(stage, epoch), position.Step, session.Stages.TotalEpochs, alpha, lr, last, etaSeconds, DateTimeOffset.UtcNow)
        {
            Warnings = Warnings,
        };
    }

    private IReadOnlyList<RunWarning>? Warnings => health is { Warnings.Count: > 0 } ? [.. health.Warnings] : null;
}

/// <summary>Steps, images, loss and epoch time on the meter Bbn.Trainer.</summary>
public sealed class InstrumentsHook(TrainerInstruments? instruments) : ITrainingHook
{
    public void StepCompleted(TrainingSession session, StepRecord completed)
    {
        if (instruments is null) return;
        instruments.Steps.Add(1);
        instruments.Images.Add(completed.Images);
        if (!double.IsNaN(completed.Loss)) instruments.Loss.Record(completed.Loss);
    }

    public void EpochCompleted(TrainingSession session, EpochEnd epoch) => instruments?.EpochDuration.Record(epoch.Metrics!.EpochSeconds);
}

/// <summary>Passes progress, evaluations and epochs to an <see cref="ITrainingObserver"/> (logs, progress bars, TensorBoard).</summary>
public sealed class ObserverHook(ITrainingObserver observer) : ITrainingHook
{
    public void StageStarting(TrainingSession session, int stage)
    {
        var s = session.Stages[stage];
        string name = s.Name;
        int steps = session.Stages.StepsIn(session.Stages.PlanEpoch(1));
        if (session.Stages.IsShortWarmup(steps))
        {
            var o = session.Options;
            long warmup = Math.Min(o.MinWarmupSteps, (long)s.Epochs * steps / 2);
            double bound = session.Stages.GradientNormBound(steps);
            name += string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"; its warm-up of {s.Optimizer.WarmupEpochs * steps} steps is shorter than Bbn:Training:MinWarmupSteps = {o.MinWarmupSteps}: per step from 0 over {warmup} steps") +
                (double.IsFinite(bound) ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $", gradient norm clipped at {bound:G4}") : "");
        }
        observer.StageStarted(stage, session.Stages.Count, name, session.BranchExecution);
    }

    /// <summary>Steps measured before the run's duration is estimated (the first step, which warms libtorch up, included).</summary>
    public const int EstimateAfterSteps = 5;

    private bool estimated;

    public void StepCompleted(TrainingSession session, StepRecord completed)
    {
        Estimate(session, completed);
        if (completed.Step % Math.Max(1, session.Options.LogEverySteps) != 0 && completed.Step != completed.Steps) return;
        var remaining = TimeSpan.FromSeconds((completed.Steps - completed.Step) * completed.EpochElapsed.TotalSeconds / (completed.Step - completed.FirstStep));
        observer.StepCompleted(new StepProgress(completed.RunEpoch, completed.Step, completed.Steps, completed.Position.EpochLossSum / Math.Max(1, completed.Position.EpochSamples),
            completed.ImagesPerSecond, remaining, completed.Stage));
    }

    public void EpochEnding(TrainingSession session, EpochEnd epoch)
    {
        if (epoch.Report is { } report) observer.Evaluated(epoch.RunEpoch, report);
    }

    /// <summary>Once a run, after its first steps: their mean time times the steps left (later stages counted at this epoch's steps).</summary>
    private void Estimate(TrainingSession session, StepRecord completed)
    {
        int measured = completed.Step - completed.FirstStep;
        if (estimated || (measured < EstimateAfterSteps && completed.Step < completed.Steps)) return;
        estimated = true;
        int remaining = (completed.Steps - completed.Step) + ((session.Stages.TotalEpochs - completed.RunEpoch) * completed.Steps);
        observer.Estimated(completed.EpochElapsed / measured * remaining, remaining, measured);
    }

    public void EpochCompleted(TrainingSession session, EpochEnd epoch) => observer.EpochCompleted(epoch.Metrics!, epoch.RunRemaining);
}

/// <summary>
/// Warns, once per kind, when a run is not learning after its stage's warm-up (<see cref="LearningHealth"/>):
/// the observer logs it, <see cref="Warnings"/> goes into status.json and summary.json.
/// </summary>
public sealed class LearningHealthHook(ITrainingObserver observer) : ITrainingHook
{
    private readonly List<RunWarning> warnings = [];

    public IReadOnlyList<RunWarning> Warnings => warnings;

    public void EpochCompleted(TrainingSession session, EpochEnd epoch)
    {
        if (epoch.Epoch <= session.Stages[epoch.Stage].Optimizer.WarmupEpochs) return;
        Raise(LearningHealth.CheckLoss(epoch.RunEpoch, epoch.Metrics!.TrainLoss, session.Train.ClassNames.Count));
        if (epoch.Report is { } report) Raise(LearningHealth.CheckPredictions(epoch.RunEpoch, report, session.Train.ClassNames));
    }

    private void Raise(RunWarning? warning)
    {
        if (warning is null || warnings.Any(w => w.Kind == warning.Kind)) return;
        warnings.Add(warning);
        observer.Warned(warning);
    }
}
