using Bbn.Core.Runs;
using Bbn.Core.Distributed;
using Bbn.Core.Training;
using Bbn.Core.Training.Hooks;
using Bbn.Hosting.Distributed;
using Bbn.Hosting.Composition;
using Bbn.Hosting.Console;
using Bbn.Hosting.Reports;
using Spectre.Console;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bbn.Hosting.Verbs;

/// <summary>
/// The `train` verb: composes the run, trains, and stops the host. On shutdown (Ctrl+C, SIGTERM)
/// the trainer finishes its step, writes a checkpoint and the service exits cleanly.
/// </summary>
public sealed class TrainerService(
    RunComposer composer,
    IOptions<BbnOptions> options,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    RunOutcome outcome,
    TimeProvider time,
    IAnsiConsole console,
    IProcessGroup group,
    ILogger<TrainerService> logger) : VerbService("train", lifetime, outcome, logger)
{
    protected override void Run(CancellationToken stoppingToken)
    {
        using var watchdog = group.Size > 1
            ? StopWatchdog.Arm(TimeSpan.FromSeconds(options.Value.Distributed.StopTimeoutSeconds), group.Rank, group.Size, stoppingToken)
            : default;
        try
        {
            RunRank(stoppingToken);
        }
        catch (Exception e) when (group.Size > 1)
        {
            // The other ranks wait in a collective: end the job now, with this rank's reason.
            System.Console.Error.WriteLine($"train failed on rank {group.Rank} of {group.Size}: {e.Message} Stopping every rank; the last checkpoint is kept.");
            System.Console.Error.Flush();
            group.Abort(e is StepDoesNotFitException or DistributedException ? 2 : 1);
            throw;
        }
    }

    private void RunRank(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var t = o.Training;
        RunConsistency.Check(group, configuration);
        if (group.Size > 1) TrainLog.DataParallel(logger, group.Description, group.Size, t.BatchSize, t.BatchSize / group.Size);
        TrainLog.Allocator(logger, Bbn.Core.Runtime.NativeAllocator.Current(), Environment.GetEnvironmentVariable(Bbn.Core.Runtime.NativeAllocator.Variable) ?? "auto");
        TrainLog.Loading(logger, o.Dataset.Name!);
        var run = composer.Compose(group);
        try
        {
            run = RunRoot(run, stoppingToken);
        }
        finally
        {
            run.Dispose();
        }
    }

    /// <summary>Trains <paramref name="run"/> (and its refit, which replaces it); returns the run to dispose.</summary>
    private ComposedRun RunRoot(ComposedRun run, CancellationToken stoppingToken)
    {
        var o = options.Value;
        var t = o.Training;
        if (Runtime.TorchRuntime.NativeLog is { } native)
            TrainLog.NativeLog(logger, native.Level, native.Source, native.NnpackAvailable?.ToString() ?? "unknown");
        CheckStepFits(run);
        if (!group.IsRoot())
        {
            TrainWorker(run, stoppingToken);
            return run;
        }
        var directory = t.Resume
            ? RunDirectory.ForResume(t.OutputDirectory, t.RunName)
            : RunDirectory.ForNewRun(t.OutputDirectory, t.RunName, $"{o.Method.Name}-{o.Dataset.Name}", time.GetUtcNow());
        using var runLock = RunLock.Acquire(directory.Path, out var stale);
        if (stale is not null) TrainLog.TookOverLock(logger, directory.Path, stale.ProcessId, stale.Host, stale.Started);
        TrainLog.RunStarting(logger, directory.Path, o.Method.Name!, o.Backbone.Name!, o.Dataset.Name!, run.Train.ClassCounts.Max() / (double)Math.Max(1, run.Train.ClassCounts.Where(n => n > 0).DefaultIfEmpty(1).Min()),
            run.Train.Count, run.Train.ClassNames.Count, string.Join(",", run.Train.ClassCounts), run.Test.Count, run.Device.ToString());
        if (run.Session.Pretrained is { } pretrained)
            TrainLog.Pretrained(logger, o.Backbone.Pretrained!, pretrained.Loaded, pretrained.Ignored, pretrained.SummedStem ? "; its three-channel stem summed over the input channels for one-channel images" : "",
                pretrained.Missing.Count + pretrained.Unused.Count == 0 ? "" : $"; not strict: {pretrained.Missing.Count} of the backbone's tensors kept as initialised, {pretrained.Unused.Count} of the file's unused");
        if (run.ValidationRule is { } rule) TrainLog.ValidationSplit(logger, rule);
        else TrainLog.NoValidationSplit(logger);
        var (refit, why) = RefitPolicy.Decide(o.Validation.Refit, run.HeldFromTrain, run.Train.Count + run.HeldFromTrain, group.Size);
        // A run that began without a refit (an earlier version, or other settings) is resumed as it began.
        if (refit && t.Resume && directory.HasCheckpoint && !Directory.Exists(directory.SelectionRun.Path))
            (refit, why) = (false, "no refit: this run began without one and is resumed as it began");
        if (run.HeldFromTrain > 0) TrainLog.Refit(logger, why);

        try
        {
            var result = TrainingOutcome.Completed;
            if (refit)
            {
                var selectionRun = directory.SelectionRun;
                if (!(t.Resume && RunStatusOf(selectionRun) == RunStatus.Completed))
                {
                    Directory.CreateDirectory(selectionRun.Path);
                    result = TrainPhase(run, selectionRun, t.Resume && selectionRun.HasCheckpoint, observer => TrainingHooks.Standard(
                        run.Session, selectionRun, observer, run.Instruments, o.Validation, o.PostHoc), stoppingToken);
                }
                if (result == TrainingOutcome.Completed)
                {
                    var chosen = ReadSummary(selectionRun);
                    run.Dispose();
                    run = composer.Compose(group, holdOut: false);
                    var record = new RefitRecord(RunDirectory.SelectionRunFolder, run.Train.Count, chosen.Selection?.ValidationImages is { } v ? (int)v : 0, why, chosen.Top1);
                    TrainLog.RefitStarting(logger, run.Train.Count, chosen.Selection?.Epoch ?? 0, chosen.PostHoc is { } p ? Bbn.Core.Evaluation.PostHocTuner.Describe(p.Settings) : "none");
                    var selected = chosen.Selection ?? throw new InvalidOperationException($"The selection run {selectionRun.Path} chose no epoch; resume with --Bbn:Validation:Refit=never.");
                    result = TrainPhase(run, directory, t.Resume && directory.HasCheckpoint, observer => TrainingHooks.Refit(
                        run.Session, directory, observer, run.Instruments, selected, chosen.PostHoc, record), stoppingToken);
                }
            }
            else
            {
                result = TrainPhase(run, directory, t.Resume, observer => TrainingHooks.Standard(run.Session, directory, observer, run.Instruments, o.Validation, o.PostHoc),
                    stoppingToken);
            }
            if (group.Size > 1)
            {
                var gradients = run.Session.Parallel.Gradients;
                TrainLog.AllReduced(logger, gradients.BytesPerStep / 1e6, gradients.BucketsPerStep, group.Size, gradients.Elapsed.TotalMilliseconds / Math.Max(1, gradients.Calls));
            }
            if (run.Session.Parallel.WeightChecks > 0) TrainLog.WeightsAgreed(logger, group.Size, run.Session.Parallel.WeightChecks);
            long skipped = run.Train.SkippedImages + run.Test.SkippedImages;
            if (skipped > 0) TrainLog.ImagesSkipped(logger, skipped);
            if (result == TrainingOutcome.Stopped)
            {
                var stoppedAt = Checkpoint.ReadHeader(directory.HasCheckpoint ? directory.CheckpointPath : directory.SelectionRun.CheckpointPath).Position;
                TrainLog.Stopped(logger, stoppedAt.Stage, stoppedAt.Epoch, stoppedAt.Step, directory.CheckpointPath, Path.GetFileName(directory.Path));
            }
            else if (File.Exists(directory.SummaryPath))
            {
                var summary = System.Text.Json.JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(directory.SummaryPath), RunJson.Options)!;
                TrainLog.Finished(logger, summary.Top1, directory.SummaryPath);
                if (summary.Selection is { } selected)
                {
                    TrainLog.Selected(logger, selected.Epoch, selected.Metric, selected.Score, selected.ValidationImages, selected.Top1, selected.Checkpoint);
                    if (selected.HighestEpoch is { } highest && highest != selected.Epoch)
                        TrainLog.WithinOneStandardError(logger, highest, selected.HighestScore ?? selected.Score, selected.HighestStandardError ?? 0, selected.Epoch);
                    if (Bbn.Core.Evaluation.ModelSelection.TooCoarse(selected.ScoreStep))
                        TrainLog.FewValidationImages(logger, selected);
                }
                if (summary.PostHoc is { TestBefore: { } before, TestAfter: { } after } tuned)
                    TrainLog.Tuned(logger, Bbn.Core.Evaluation.PostHocTuner.Describe(tuned.Settings), tuned.ValidationScoreBefore, tuned.ValidationScoreAfter,
                        before.Top1, after.Top1, before.ExpectedCalibrationError, after.ExpectedCalibrationError);
                if (summary.Refit is { } refitted)
                    TrainLog.Refitted(logger, refitted.SelectionRunTop1, summary.Top1, refitted.TrainImages);
                WriteReports(directory, summary);
            }
        }
        catch (Exception e)
        {
            directory.WriteStatus(new RunStatus(RunStatus.Failed, 0, 0, t.Epochs, null, null, null, null, time.GetUtcNow(), e.Message));
            throw;
        }
        return run;
    }

    /// <summary>One training of <paramref name="run"/> into <paramref name="directory"/>, from its checkpoint when <paramref name="resume"/>.</summary>
    private TrainingOutcome TrainPhase(ComposedRun run, RunDirectory directory, bool resume, Func<ITrainingObserver, IReadOnlyList<ITrainingHook>> hooks,
        CancellationToken stoppingToken)
    {
        var o = options.Value;
        var position = TrainingPosition.Start;
        if (resume)
        {
            string checkpoint = Checkpoint.ForResume(directory.CheckpointPath, out string? damage);
            if (damage is not null) TrainLog.FellBack(logger, damage, checkpoint);
            position = run.Session.Checkpoints.Restore(checkpoint);
            if (group.Size > 1) group.Broadcast(File.ReadAllBytes(checkpoint));
            directory.TrimMetricsFrom(run.Session.Stages.RunEpoch(position.Stage, position.Epoch));
            TrainLog.Resuming(logger, directory.Path, position.Stage, position.Epoch, position.Step);
        }
        else
        {
            directory.WriteConfig(ConfigurationJson.Serialize(configuration.GetSection(BbnOptions.Section)));
            run.Manifest.Write(directory.ManifestPath);
        }

        run.Session.Parallel.StartFromRootsWeights(run.Session.Network);
        TrainLog.Stages(logger, o.Method.Name!, string.Join(", ", run.Session.Stages.All.Select(s => $"{s.Name} ({s.Epochs} epochs)")));
        return Train(run, directory, position, hooks, stoppingToken);
    }

    private static string? RunStatusOf(RunDirectory directory) =>
        File.Exists(directory.StatusPath) ? System.Text.Json.JsonSerializer.Deserialize<RunStatus>(File.ReadAllText(directory.StatusPath), RunJson.Options)?.State : null;

    private static RunSummary ReadSummary(RunDirectory directory) =>
        System.Text.Json.JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(directory.SummaryPath), RunJson.Options)
        ?? throw new InvalidDataException($"{directory.SummaryPath} is empty.");

    /// <summary>
    /// A rank other than 0: the same session from rank 0's checkpoint when resuming (sent over MPI, so
    /// no shared file system is needed), the worker hooks, and nothing written.
    /// </summary>
    private void TrainWorker(ComposedRun run, CancellationToken stoppingToken)
    {
        var o = options.Value;
        var position = TrainingPosition.Start;
        if (o.Training.Resume)
        {
            string copy = Path.Combine(Path.GetTempPath(), $"bbn-rank{group.Rank}-{Environment.ProcessId}.bbn");
            try
            {
                File.WriteAllBytes(copy, group.Broadcast(null));
                position = run.Session.Checkpoints.Restore(copy);
            }
            finally
            {
                File.Delete(copy);
            }
        }
        run.Session.Parallel.StartFromRootsWeights(run.Session.Network);
        var observer = new LoggingObserver(logger, run.Session.Stages.TotalEpochs, stepLines: false);
        TrainingLoop.Run(run.Session, position, TrainingHooks.Worker(run.Session, observer, o.PostHoc, o.Validation), stoppingToken);
    }

    /// <summary>
    /// Refuses, before the run directory is touched, a step whose estimated memory exceeds what the
    /// system has available (CPU; a CUDA device's memory is not checked here).
    /// </summary>
    private void CheckStepFits(ComposedRun run)
    {
        if (run.Device.type != TorchSharp.DeviceType.CPU || StepMemory.Available() is not { } available) return;
        var session = run.Session;
        var shape = run.Train.Shape;
        int images = session.ImagesPerStep / group.Size; // this rank's share of the step
        // The ranks on this machine share its memory.
        long needed = StepMemory.Estimate(session.Network, shape, images, run.Device) * (group.Size > 1 ? MpiLaunch.LocalSize : 1);
        const double GiB = 1024.0 * 1024 * 1024;
        TrainLog.StepMemory(logger, needed / GiB, available / GiB);
        if (needed <= available) return;
        int batch = session.Options.BatchSize;
        int fits = (int)Math.Max(1, batch * (double)available / needed);
        throw new StepDoesNotFitException(
            $"One training step needs about {needed / GiB:F1} GiB ({images} images of {shape.Channels}x{shape.Height}x{shape.Width} a step{(group.Size > 1 ? $" on each of {MpiLaunch.LocalSize} ranks here" : "")}), but {available / GiB:F1} GiB of memory is available. " +
            $"Lower Bbn:Training:BatchSize (from {batch} to about {fits}), or the input size (Bbn:Dataset:Size; Bbn:Dataset:Recipe=cifar keeps small images small).");
    }

    /// <summary>Trains with a live progress display on a terminal, plain log lines otherwise, and TensorBoard events either way.</summary>
    private TrainingOutcome Train(ComposedRun run, RunDirectory directory, TrainingPosition position, Func<ITrainingObserver, IReadOnlyList<ITrainingHook>> hooks,
        CancellationToken stoppingToken)
    {
        int epochs = run.Session.Stages.TotalEpochs;
        var tensorBoard = new TensorBoardObserver(directory.Path, run.Train.ClassNames);
        if (!TerminalProgress.IsAvailable(console))
            return TrainingLoop.Run(run.Session, position, hooks(new CompositeObserver(new LoggingObserver(logger, epochs), tensorBoard)), stoppingToken);
        var epochLines = new LoggingObserver(logger, epochs, stepLines: false);
        return TerminalProgress.Run(console, epochs,
            bar => TrainingLoop.Run(run.Session, position, hooks(new CompositeObserver(bar, epochLines, tensorBoard)), stoppingToken));
    }

    private void WriteReports(RunDirectory directory, RunSummary summary)
    {
        var plots = RunPlots.Write(directory.Path, summary, directory.ReadMetrics());
        VerbLog.Plots(logger, string.Join(", ", plots));
        TrainLog.TensorBoard(logger, Path.Combine(directory.Path, TensorBoardObserver.Folder));
    }
}
