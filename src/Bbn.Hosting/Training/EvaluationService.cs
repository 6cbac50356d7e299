using Bbn.Core;
using Bbn.Core.Training;
using Bbn.Hosting.Composition;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bbn.Hosting.Training;

/// <summary>Bbn:Evaluate: the `evaluate` verb's settings.</summary>
public sealed class EvaluateOptions
{
    public const string Section = "Bbn:Evaluate";

    /// <summary>A checkpoint.bbn, or a run directory that holds one.</summary>
    public string? Checkpoint { get; set; }

    /// <summary>Where the summary goes; default: evaluation/summary.json beside the checkpoint.</summary>
    public string? Output { get; set; }
}

/// <summary>The `evaluate` verb: a checkpoint on the test set, written as a run summary.</summary>
public sealed class EvaluationService(
    RunComposer composer,
    IOptions<EvaluateOptions> options,
    IHostApplicationLifetime lifetime,
    RunOutcome outcome,
    ILogger<EvaluationService> logger) : VerbService(lifetime, outcome, logger)
{
    protected override void Run(CancellationToken stoppingToken)
    {
        string checkpoint = CheckpointPath(options.Value.Checkpoint);
        using var run = composer.Compose();
        var position = run.Trainer.Restore(checkpoint);
        var report = run.Trainer.Evaluate();
        string output = options.Value.Output ?? Path.Combine(Path.GetDirectoryName(checkpoint)!, "evaluation", "summary.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        RunDirectory.WriteSummary(run.Trainer.Summarize(report, position, checkpoint), output);
        TrainerLog.Evaluated(logger, checkpoint, report.Top1, Path.GetFullPath(output));
    }

    private static string CheckpointPath(string? setting)
    {
        if (string.IsNullOrWhiteSpace(setting))
            throw new ArgumentException("evaluate needs a checkpoint: pass --Bbn:Evaluate:Checkpoint=<run directory or checkpoint.bbn>.");
        string path = Directory.Exists(setting) ? Path.Combine(setting, RunDirectory.CheckpointFile) : setting;
        if (!File.Exists(path))
            throw new FileNotFoundException($"Bbn:Evaluate:Checkpoint = '{setting}': {Path.GetFullPath(path)} does not exist. Give a run directory or its checkpoint.bbn.", path);
        return Path.GetFullPath(path);
    }
}
