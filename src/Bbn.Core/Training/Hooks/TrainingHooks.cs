using Bbn.Core.Runs;
using System.Text.Json;
using Bbn.Core.Evaluation;
using Bbn.Core.Model;

namespace Bbn.Core.Training.Hooks;

/// <summary>The hooks of a run that writes a run directory, in the order they must run, each given only the parts of the session it needs.</summary>
public static class TrainingHooks
{
    public static IReadOnlyList<ITrainingHook> Standard(TrainingSession session, RunDirectory run, ITrainingObserver observer, TrainerInstruments? instruments,
        ValidationOptions? validation = null, PostHocOptions? postHoc = null)
    {
        var selection = new SelectionHook(run, (validation ?? new()).SelectBy, session.Checkpoints, (validation ?? new()).SelectRule);
        return Around(session, run, observer, instruments, selection, new PostHocHook(selection.Metric, postHoc ?? new(), session.Evaluation), null);
    }

    /// <summary>
    /// The hooks of a refit (Bbn:Validation:Refit): the standard ones, with the epoch and the inference knobs the selection run chose
    /// on its validation split in place of choosing them here.
    /// </summary>
    public static IReadOnlyList<ITrainingHook> Refit(TrainingSession session, RunDirectory run, ITrainingObserver observer, TrainerInstruments? instruments,
        SelectedEpoch chosen, PostHocTuning? tuned, RefitRecord record) =>
        Around(session, run, observer, instruments, new ChosenEpochHook(run, chosen, session.Checkpoints, session.Evaluation),
            new AppliedPostHocHook(tuned, session.Evaluation), record);

    /// <summary>The run directory's hooks in their order, around the hooks that choose (or take) the epoch and the knobs.</summary>
    private static IReadOnlyList<ITrainingHook> Around<TSelection, TTuning>(TrainingSession session, RunDirectory run, ITrainingObserver observer,
        TrainerInstruments? instruments, TSelection selection, TTuning tuning, RefitRecord? record)
        where TSelection : ITrainingHook, ISelectionRecord
        where TTuning : ITrainingHook, IPostHocRecord
    {
        var health = new LearningHealthHook(observer, session.Stages, session.Train.ClassNames);
        return
        [
            new DataParallelHook(session.Parallel, session.Network, session.ImagesPerStep),
            new InstrumentsHook(instruments),
            new EvaluationHook(session.Evaluation, session.Options.EvaluateEvery),
            selection,
            tuning,
            new CheckpointHook(run, session.Checkpoints),
            new HeapReleaseHook(session.Options.MemoryGrowthTolerance, observer, session.ReleaseMemory),
            health,
            new RunRecordsHook(run, session.Stages, session.Summarize, health, selection, tuning, record),
            new ObserverHook(observer, session.Stages, session.Options, () => session.BranchExecution),
        ];
    }

    /// <summary>
    /// The hooks of a rank other than 0 in a data-parallel run: it takes part in every collective
    /// (buffer averaging, the sharded evaluations, the post-hoc tuning's evaluation) and writes nothing.
    /// </summary>
    public static IReadOnlyList<ITrainingHook> Worker(TrainingSession session, ITrainingObserver observer, PostHocOptions? postHoc = null, ValidationOptions? validation = null) =>
    [
        new DataParallelHook(session.Parallel, session.Network, session.ImagesPerStep),
        new EvaluationHook(session.Evaluation, session.Options.EvaluateEvery),
        new PostHocHook((validation ?? new()).SelectBy, postHoc ?? new(), session.Evaluation),
        new HeapReleaseHook(session.Options.MemoryGrowthTolerance, observer, session.ReleaseMemory),
    ];
}

/// <summary>
/// Averages the batch-norm running statistics over the ranks at every epoch's end and at a stop,
/// before anything evaluates or saves the network, so that every rank evaluates, and rank 0 saves, the same
/// network; and, when asked, checks that the ranks' weights agree.
/// </summary>
public sealed class DataParallelHook(Distributed.DataParallel parallel, BranchNetwork network, int imagesPerStep) : ITrainingHook
{
    /// <summary>Bbn:Distributed:CheckWeightsEvery: the ranks compare their weights after every so many steps.</summary>
    public void StepCompleted(StepRecord completed)
    {
        int every = parallel.CheckWeightsEvery;
        if (every > 0 && completed.Position.ImagesSeen / imagesPerStep % every == 0)
            parallel.CheckWeightsAgree(network, $"after step {completed.Step} of epoch {completed.RunEpoch}");
    }

    public void EpochEnding(EpochEnd epoch) => parallel.AverageBuffers(network);

    public void Stopped(TrainingPosition position) => parallel.AverageBuffers(network);
}

/// <summary>Evaluates the test set and the validation split every Bbn:Training:EvaluateEvery epochs and at the end (and the weight average, when there is one).</summary>
public sealed class EvaluationHook(SessionEvaluation evaluation, int evaluateEvery) : ITrainingHook
{
    public void EpochEnding(EpochEnd epoch)
    {
        if (!epoch.Final && epoch.RunEpoch % Math.Max(1, evaluateEvery) != 0) return;
        epoch.Report = evaluation.Test();
        epoch.ValidationReport = evaluation.Validation();
        epoch.AverageReport = evaluation.Average();
    }
}

/// <summary>
/// Chooses an epoch by the validation split (Bbn:Validation:SelectBy, Bbn:Validation:SelectRule): its weights in best.bbn
/// and, in selection.json, which epoch, its score and its test figures. Under highest the first of equal scores stays; under
/// one-standard-error each epoch scoring within one standard error of the highest so far replaces the choice, so that the choice
/// is the latest such epoch. The choice so far travels in the checkpoint; a checkpoint without it (written before) falls back to
/// selection.json. A resumed run goes on with the metric and the rule it began with, so that scores compare, whatever the defaults are now.
/// </summary>
public sealed class SelectionHook(RunDirectory run, string metric, SessionCheckpoints checkpoints, string rule = ValidationOptions.Highest)
    : ITrainingHook, IStatefulHook, ISelectionRecord
{
    private bool restored;

    public SelectedEpoch? Best { get; private set; }

    public string Metric { get; private set; } = metric;

    public string Rule { get; private set; } = rule;

    public string StateKey => "selection";

    public JsonElement SaveState() => JsonSerializer.SerializeToElement(Best, RunJson.Options);

    public void LoadState(JsonElement state)
    {
        Best = state.Deserialize<SelectedEpoch?>(RunJson.Options);
        if (Best is not null) (Metric, Rule) = (Best.Metric, Best.Rule ?? ValidationOptions.Highest);
        restored = true;
    }

    public void RunStarting(TrainingPosition start)
    {
        if (start == TrainingPosition.Start) Best = null;
        else if (!restored) Best = run.ReadSelection();
    }

    /// <summary>
    /// Whether epoch <paramref name="epoch"/>, scoring <paramref name="score"/> with <paramref name="error"/>, becomes the choice, and
    /// the highest epoch the choice is then measured against; null: the choice stays. A score above the highest so far always
    /// replaces it; under one-standard-error, so does one within the highest's standard error of it (epochs come in order, so the last
    /// such is the latest).
    /// </summary>
    public static (int Epoch, double Score, double StandardError)? Choose(SelectedEpoch? chosen, int epoch, double score, double error, string rule)
    {
        if (chosen is null) return (epoch, score, error);
        double highest = chosen.HighestScore ?? chosen.Score;
        if (score > highest) return (epoch, score, error);
        if (rule == ValidationOptions.OneStandardError && score >= highest - (chosen.HighestStandardError ?? 0))
            return (chosen.HighestEpoch ?? chosen.Epoch, highest, chosen.HighestStandardError ?? 0);
        return null;
    }

    public void EpochCompleted(EpochEnd epoch)
    {
        if (epoch.ValidationReport is not { } validation || epoch.Report is not { } test) return;
        var metrics = epoch.Metrics!; // the loop scored the split by this hook's metric
        if (Choose(Best, epoch.RunEpoch, metrics.ValidationScore!.Value, metrics.ValidationStandardError!.Value, Rule) is not { } highest) return;
        checkpoints.Save(run.BestCheckpointPath, epoch.Position!, completed: epoch.Final);
        Best = new SelectedEpoch(Metric, epoch.RunEpoch, metrics.ValidationScore.Value, test.Top1, test.Many, test.Medium, test.Few, run.BestCheckpointPath,
            validation.Samples, ModelSelection.OneImage(validation, Metric), Rule, highest.Epoch, highest.Score, highest.StandardError);
        run.WriteSelection(Best);
    }
}

/// <summary>
/// After the last epoch, tunes the inference knobs on the validation split (Bbn:PostHoc), before the
/// last checkpoint is written, so that checkpoint.bbn records them; <see cref="Tuning"/> holds the
/// grids and the test figures without and with them.
/// </summary>
public sealed class PostHocHook(string metric, PostHocOptions options, SessionEvaluation evaluation) : ITrainingHook, IPostHocRecord
{
    public PostHocTuning? Tuning { get; private set; }

    public void EpochCompleted(EpochEnd epoch)
    {
        if (!epoch.Final || !options.Tune || epoch.Report is null) return;
        var tuning = evaluation.TunePostHoc(metric, options);
        if (tuning is null) return;
        evaluation.Tuned = tuning.Settings;
        var after = tuning.Settings.IsIdentity ? epoch.Report : evaluation.Test(tuning.Settings);
        Tuning = tuning with { TestBefore = PostHocTest.Of(epoch.Report), TestAfter = PostHocTest.Of(after) };
    }
}

/// <summary>Writes checkpoint.bbn after every epoch and when the run stops.</summary>
public sealed class CheckpointHook(RunDirectory run, SessionCheckpoints checkpoints) : ITrainingHook
{
    public void EpochCompleted(EpochEnd epoch) => checkpoints.Save(run.CheckpointPath, epoch.Position!, completed: epoch.Final);

    public void Stopped(TrainingPosition position) => checkpoints.Save(run.CheckpointPath, position, completed: false);
}

/// <summary>
/// Collects managed garbage after every epoch and gives the native heap's free memory back when
/// resident memory grew past Bbn:Training:MemoryGrowthTolerance (<see cref="Runtime.HeapReleasePolicy"/>).
/// </summary>
/// <remarks><c>releaseThreads</c> gives the branch threads' free heap memory back too.</remarks>
public sealed class HeapReleaseHook(double tolerance, ITrainingObserver observer, Action releaseThreads) : ITrainingHook
{
    private readonly Runtime.HeapReleasePolicy policy = new(tolerance);

    public void EpochCompleted(EpochEnd epoch)
    {
        Runtime.NativeHeap.CollectManagedGarbage();
        if (!policy.ShouldRelease()) return;
        long before = Environment.WorkingSet;
        Runtime.NativeHeap.Release();
        releaseThreads();
        observer.HeapReleased(epoch.RunEpoch, before, Environment.WorkingSet);
    }
}

/// <summary>status.json, metrics.jsonl and, at the end, summary.json.</summary>
public sealed class RunRecordsHook(RunDirectory run, StageController stages, Func<EvaluationReport, TrainingPosition, string?, RunSummary> summarize,
    LearningHealthHook? health = null, ISelectionRecord? selection = null, IPostHocRecord? postHoc = null, RefitRecord? refit = null) : ITrainingHook
{
    private EpochMetrics? last;

    public void RunStarting(TrainingPosition start) => run.WriteStatus(Status(RunStatus.Running, start, null));

    public void EpochCompleted(EpochEnd epoch)
    {
        run.AppendMetrics(epoch.Metrics!);
        last = epoch.Metrics;
        if (epoch.Final)
            run.WriteSummary(summarize(epoch.Report!, epoch.Position!, run.CheckpointPath) with
            {
                EmaTop1 = epoch.AverageReport?.Top1,
                Warnings = Warnings,
                Selection = selection?.Best,
                PostHoc = postHoc?.Tuning,
                ValidationTop1 = epoch.Metrics!.ValidationTop1,
                ValidationScore = epoch.Metrics.ValidationScore,
                Refit = refit,
            });
        run.WriteStatus(Status(epoch.Final ? RunStatus.Completed : RunStatus.Running, epoch.Position!, epoch.RunRemaining.TotalSeconds));
    }

    public void Stopped(TrainingPosition position) => run.WriteStatus(Status(RunStatus.Stopped, position, null));

    private RunStatus Status(string state, TrainingPosition position, double? etaSeconds)
    {
        int stage = Math.Min(position.Stage, stages.Count);
        int epoch = Math.Min(position.Epoch, stages[stage].Epochs);
        var method = stages.Active == stage ? stages.MethodMetrics(epoch) : null;
        double? lr = stages.Active == stage ? stages.LearningRate(epoch) : null;
        return new RunStatus(state, stages.RunEpoch(stage, epoch), position.Step, stages.TotalEpochs, method, lr, last, etaSeconds, DateTimeOffset.UtcNow)
        {
            Warnings = Warnings,
        };
    }

    private IReadOnlyList<RunWarning>? Warnings => health is { Warnings.Count: > 0 } ? [.. health.Warnings] : null;
}

/// <summary>Steps, images, loss and epoch time on the meter Bbn.Trainer.</summary>
public sealed class InstrumentsHook(TrainerInstruments? instruments) : ITrainingHook
{
    public void StepCompleted(StepRecord completed)
    {
        if (instruments is null) return;
        instruments.Steps.Add(1);
        instruments.Images.Add(completed.Images);
        if (!double.IsNaN(completed.Loss)) instruments.Loss.Record(completed.Loss);
    }

    public void EpochCompleted(EpochEnd epoch) => instruments?.EpochDuration.Record(epoch.Metrics!.EpochSeconds);
}

/// <summary>Passes progress, evaluations and epochs to an <see cref="ITrainingObserver"/> (logs, progress bars, TensorBoard).</summary>
/// <remarks><c>branchExecution</c> says how the active stage runs its branch passes (asked when a stage starts).</remarks>
public sealed class ObserverHook(ITrainingObserver observer, StageController stages, TrainingOptions options, Func<string> branchExecution) : ITrainingHook
{
    public void StageStarting(int stage)
    {
        var s = stages[stage];
        string name = s.Name;
        int steps = stages.StepsIn(stages.PlanEpoch(1));
        if (stages.IsShortWarmup(steps))
        {
            long warmup = Math.Min(options.MinWarmupSteps, (long)s.Epochs * steps / 2);
            double bound = stages.GradientNormBound(steps);
            name += string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"; its warm-up of {s.Optimizer.WarmupEpochs * steps} steps is shorter than Bbn:Training:MinWarmupSteps = {options.MinWarmupSteps}: per step from 0 over {warmup} steps") +
                (double.IsFinite(bound) ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $", gradient norm clipped at {bound:G4}") : "");
        }
        observer.StageStarted(stage, stages.Count, name, branchExecution());
    }

    /// <summary>Steps measured before the run's duration is estimated (the first step, which warms libtorch up, included).</summary>
    public const int EstimateAfterSteps = 5;

    private bool estimated;

    public void StepCompleted(StepRecord completed)
    {
        Estimate(completed);
        if (completed.Step % Math.Max(1, options.LogEverySteps) != 0 && completed.Step != completed.Steps) return;
        var remaining = TimeSpan.FromSeconds((completed.Steps - completed.Step) * completed.EpochElapsed.TotalSeconds / (completed.Step - completed.FirstStep));
        observer.StepCompleted(new StepProgress(completed.RunEpoch, completed.Step, completed.Steps, completed.Position.EpochLossSum / Math.Max(1, completed.Position.EpochSamples),
            completed.ImagesPerSecond, remaining, completed.Stage));
    }

    public void EpochEnding(EpochEnd epoch)
    {
        if (epoch.Report is { } report) observer.Evaluated(epoch.RunEpoch, report);
    }

    /// <summary>Once a process, after its first steps: their mean time times the steps left (later stages counted at this epoch's steps).</summary>
    private void Estimate(StepRecord completed)
    {
        int measured = completed.Step - completed.FirstStep;
        if (estimated || (measured < EstimateAfterSteps && completed.Step < completed.Steps)) return;
        estimated = true;
        int remaining = (completed.Steps - completed.Step) + ((stages.TotalEpochs - completed.RunEpoch) * completed.Steps);
        observer.Estimated(completed.EpochElapsed / measured * remaining, remaining, measured);
    }

    public void EpochCompleted(EpochEnd epoch) => observer.EpochCompleted(epoch.Metrics!, epoch.RunRemaining);
}

/// <summary>
/// Warns, once per kind and run, when a run is not learning after its stage's warm-up (<see cref="LearningHealth"/>):
/// the observer logs it, <see cref="Warnings"/> goes into status.json and summary.json and, through the checkpoint,
/// into a resumed run, which then neither loses nor repeats them.
/// </summary>
public sealed class LearningHealthHook(ITrainingObserver observer, StageController stages, IReadOnlyList<string> classNames) : ITrainingHook, IStatefulHook
{
    private readonly List<RunWarning> warnings = [];

    public IReadOnlyList<RunWarning> Warnings => warnings;

    public string StateKey => "learning-health";

    public JsonElement SaveState() => JsonSerializer.SerializeToElement(warnings, RunJson.Options);

    public void LoadState(JsonElement state)
    {
        warnings.Clear();
        warnings.AddRange(state.Deserialize<List<RunWarning>>(RunJson.Options) ?? []);
    }

    public void EpochCompleted(EpochEnd epoch)
    {
        if (epoch.Epoch <= stages[epoch.Stage].Optimizer.WarmupEpochs) return;
        Raise(LearningHealth.CheckLoss(epoch.RunEpoch, epoch.Metrics!.TrainLoss, classNames.Count));
        if (epoch.Report is { } report) Raise(LearningHealth.CheckPredictions(epoch.RunEpoch, report, classNames));
    }

    private void Raise(RunWarning? warning)
    {
        if (warning is null || warnings.Any(w => w.Kind == warning.Kind)) return;
        warnings.Add(warning);
        observer.Warned(warning);
    }
}
