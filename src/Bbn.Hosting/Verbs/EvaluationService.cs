using Bbn.Core;
using Bbn.Core.Training;
using Bbn.Hosting.Composition;
using Bbn.Hosting.Reports;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bbn.Hosting.Verbs;

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
    VerbOutput output,
    IHostApplicationLifetime lifetime,
    RunOutcome outcome,
    ILogger<EvaluationService> logger) : VerbService("evaluate", lifetime, outcome, logger)
{
    protected override void Run(CancellationToken stoppingToken)
    {
        string checkpoint = CheckpointArgument.Resolve(options.Value.Checkpoint, "evaluate", "Bbn:Evaluate:Checkpoint");
        using var run = composer.Compose();
        var position = run.Session.Restore(checkpoint);
        var report = run.Session.Evaluate();
        string summaryPath = Path.GetFullPath(options.Value.Output ?? Path.Combine(Path.GetDirectoryName(checkpoint)!, "evaluation", "summary.json"));
        string folder = Path.GetDirectoryName(summaryPath)!;
        Directory.CreateDirectory(folder);
        var summary = run.Session.Summarize(report, position, checkpoint);
        RunDirectory.WriteSummary(summary, summaryPath);
        ResultsTable.Write(summary, output.Writer);
        EvaluateLog.Evaluated(logger, checkpoint, report.Top1, summaryPath);

        // The training curves come from the run's metrics.jsonl when the checkpoint lies in its run directory.
        var runDirectory = new RunDirectory(Path.GetDirectoryName(checkpoint)!);
        var metrics = File.Exists(runDirectory.MetricsPath) ? runDirectory.ReadMetrics() : null;
        var plots = RunPlots.Write(folder, summary, metrics);
        VerbLog.Plots(logger, string.Join(", ", plots));
    }
}
