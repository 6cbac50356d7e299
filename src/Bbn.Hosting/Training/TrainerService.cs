using Bbn.Core;
using Bbn.Core.Training;
using Bbn.Hosting.Composition;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bbn.Hosting.Training;

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
    ILogger<TrainerService> logger) : VerbService(lifetime, outcome, logger)
{
    protected override void Run(CancellationToken stoppingToken)
    {
        var o = options.Value;
        var t = o.Training;
        using var run = composer.Compose();
        var directory = t.Resume
            ? RunDirectory.ForResume(t.OutputDirectory, t.RunName)
            : RunDirectory.ForNewRun(t.OutputDirectory, t.RunName, $"{o.Method}-{o.Dataset.Name}", time.GetUtcNow());
        TrainerLog.RunStarting(logger, directory.Path, o.Method, o.Backbone.Name!, o.Dataset.Name!, o.Dataset.ImbalanceRatio,
            run.Train.Count, run.Train.ClassNames.Count, string.Join(",", run.Train.ClassCounts), run.Test.Count, run.Device.ToString());

        try
        {
            var position = TrainingPosition.Start;
            if (t.Resume)
            {
                position = run.Trainer.Restore(directory.CheckpointPath);
                directory.TrimMetricsFrom(position.Epoch);
                TrainerLog.Resuming(logger, directory.Path, position.Epoch, position.Step);
            }
            else
            {
                directory.WriteConfig(ConfigurationJson.Serialize(configuration.GetSection(BbnOptions.Section)));
                run.Manifest.Write(directory.ManifestPath);
            }

            var result = run.Trainer.Run(directory, position, new LoggingObserver(logger, t.Epochs), stoppingToken);
            long skipped = run.Train.SkippedImages + run.Test.SkippedImages;
            if (skipped > 0) TrainerLog.ImagesSkipped(logger, skipped);
            if (result == TrainingOutcome.Stopped)
            {
                var stoppedAt = Checkpoint.ReadHeader(directory.CheckpointPath).Position;
                TrainerLog.Stopped(logger, stoppedAt.Epoch, stoppedAt.Step, directory.CheckpointPath, Path.GetFileName(directory.Path));
            }
            else if (File.Exists(directory.SummaryPath))
            {
                var summary = System.Text.Json.JsonSerializer.Deserialize<RunSummary>(File.ReadAllText(directory.SummaryPath), RunJson.Options)!;
                TrainerLog.Finished(logger, summary.Top1, directory.SummaryPath);
            }
        }
        catch (Exception e)
        {
            directory.WriteStatus(new RunStatus(RunStatus.Failed, 0, 0, t.Epochs, null, null, null, null, time.GetUtcNow(), e.Message));
            throw;
        }
    }
}
