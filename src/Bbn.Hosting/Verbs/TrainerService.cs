using Bbn.Core;
using Bbn.Core.Training;
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
    ILogger<TrainerService> logger) : VerbService("train", lifetime, outcome, logger)
{
    protected override void Run(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var t = o.Training;
        TrainLog.Loading(logger, o.Dataset.Name!);
        using var run = composer.Compose();
        CheckStepFits(run);
        var directory = t.Resume
            ? RunDirectory.ForResume(t.OutputDirectory, t.RunName)
            : RunDirectory.ForNewRun(t.OutputDirectory, t.RunName, $"{o.Method.Name}-{o.Dataset.Name}", time.GetUtcNow());
        using var runLock = RunLock.Acquire(directory.Path, out var stale);
        if (stale is not null) TrainLog.TookOverLock(logger, directory.Path, stale.ProcessId, stale.Host, stale.Started);
        TrainLog.RunStarting(logger, directory.Path, o.Method.Name!, o.Backbone.Name!, o.Dataset.Name!, run.Train.ClassCounts.Max() / (double)Math.Max(1, run.Train.ClassCounts.Where(n => n > 0).DefaultIfEmpty(1).Min()),
            run.Train.Count, run.Train.ClassNames.Count, string.Join(",", run.Train.ClassCounts), run.Test.Count, run.Device.ToString());
        if (run.ValidationRule is { } rule) TrainLog.ValidationSplit(logger, rule);
        else TrainLog.NoValidationSplit(logger);

        try
        {
            var position = TrainingPosition.Start;
            if (t.Resume)
            {
                string checkpoint = Checkpoint.ForResume(directory.CheckpointPath, out string? damage);
                if (damage is not null) TrainLog.FellBack(logger, damage, checkpoint);
                position = run.Session.Restore(checkpoint);
                directory.TrimMetricsFrom(run.Session.RunEpoch(position.Stage, position.Epoch));
                TrainLog.Resuming(logger, directory.Path, position.Stage, position.Epoch, position.Step);
            }
            else
            {
                directory.WriteConfig(ConfigurationJson.Serialize(configuration.GetSection(BbnOptions.Section)));
                run.Manifest.Write(directory.ManifestPath);
            }

            TrainLog.Stages(logger, o.Method.Name!, string.Join(", ", run.Session.Stages.Select(s => $"{s.Name} ({s.Epochs} epochs)")));
            var result = Train(run, directory, position, stoppingToken);
            long skipped = run.Train.SkippedImages + run.Test.SkippedImages;
            if (skipped > 0) TrainLog.ImagesSkipped(logger, skipped);
            if (result == TrainingOutcome.Stopped)
            {
                var stoppedAt = Checkpoint.ReadHeader(directory.CheckpointPath).Position;
                TrainLog.Stopped(logger, stoppedAt.Stage, stoppedAt.Epoch, stoppedAt.Step, directory.CheckpointPath, Path.GetFileName(directory.Path));
            }
            else if (File.Exists(directory.SummaryPath))
            {
                var summary = System.Text.Json.JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(directory.SummaryPath), RunJson.Options)!;
                TrainLog.Finished(logger, summary.Top1, directory.SummaryPath);
                if (summary.Selection is { } selected)
                    TrainLog.Selected(logger, selected.Epoch, selected.Metric, selected.Score, selected.Top1, selected.Checkpoint);
                if (summary.PostHoc is { TestBefore: { } before, TestAfter: { } after } tuned)
                    TrainLog.Tuned(logger, Bbn.Core.Evaluation.PostHocTuner.Describe(tuned.Settings), tuned.ValidationScoreBefore, tuned.ValidationScoreAfter,
                        before.Top1, after.Top1, before.ExpectedCalibrationError, after.ExpectedCalibrationError);
                WriteReports(directory, summary);
            }
        }
        catch (Exception e)
        {
            directory.WriteStatus(new RunStatus(RunStatus.Failed, 0, 0, t.Epochs, null, null, null, null, time.GetUtcNow(), e.Message));
            throw;
        }
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
        long needed = StepMemory.Estimate(session.Network, shape, session.ImagesPerStep, run.Device);
        const double GiB = 1024.0 * 1024 * 1024;
        TrainLog.StepMemory(logger, needed / GiB, available / GiB);
        if (needed <= available) return;
        int batch = session.Options.BatchSize;
        int fits = (int)Math.Max(1, batch * (double)available / needed);
        throw new StepDoesNotFitException(
            $"One training step needs about {needed / GiB:F1} GiB ({session.ImagesPerStep} images of {shape.Channels}x{shape.Height}x{shape.Width} a step), but {available / GiB:F1} GiB of memory is available. " +
            $"Lower Bbn:Training:BatchSize (from {batch} to about {fits}), or the input size (Bbn:Dataset:Size; Bbn:Dataset:Recipe=cifar keeps small images small).");
    }

    /// <summary>Trains with a live progress display on a terminal, plain log lines otherwise, and TensorBoard events either way.</summary>
    private TrainingOutcome Train(ComposedRun run, RunDirectory directory, TrainingPosition position, CancellationToken stoppingToken)
    {
        int epochs = run.Session.TotalEpochs;
        var tensorBoard = new TensorBoardObserver(directory.Path, run.Train.ClassNames);
        if (!TerminalProgress.IsAvailable(console))
            return TrainingLoop.Run(run.Session, directory, position, new CompositeObserver(new LoggingObserver(logger, epochs), tensorBoard), stoppingToken, run.Instruments, options.Value.Validation, options.Value.PostHoc);
        var epochLines = new LoggingObserver(logger, epochs, stepLines: false);
        return TerminalProgress.Run(console, epochs,
            bar => TrainingLoop.Run(run.Session, directory, position, new CompositeObserver(bar, epochLines, tensorBoard), stoppingToken, run.Instruments, options.Value.Validation, options.Value.PostHoc));
    }

    private void WriteReports(RunDirectory directory, RunSummary summary)
    {
        var plots = RunPlots.Write(directory.Path, summary, directory.ReadMetrics());
        VerbLog.Plots(logger, string.Join(", ", plots));
        TrainLog.TensorBoard(logger, Path.Combine(directory.Path, TensorBoardObserver.Folder));
    }
}
