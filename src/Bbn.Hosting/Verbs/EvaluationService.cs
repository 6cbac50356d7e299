using Bbn.Core.Runs;
using TorchSharp;
using Bbn.Hosting.Runtime;
using Bbn.Hosting.Inference;
using Bbn.Core.Inference;
using Bbn.Core.Evaluation;
using Bbn.Core.Data;
using Bbn.Abstractions;
using Bbn.Core.Training;
using Bbn.Hosting.Composition;
using Bbn.Hosting.Reports;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bbn.Hosting.Verbs;

/// <summary>
/// The `evaluate` verb: the checkpoint's network (rebuilt from its header: method, backbone, loss,
/// classes) on its dataset's test split, written as a run summary. No training set, no optimiser.
/// </summary>
public sealed class EvaluationService(
    RunComposer composer,
    CheckpointComponents components,
    IOptions<BbnOptions> bbn,
    IOptions<EvaluateOptions> options,
    IEnumerable<RunSettings> runSettings,
    Microsoft.Extensions.Configuration.IConfiguration configuration,
    VerbOutput output,
    IHostApplicationLifetime lifetime,
    RunOutcome outcome,
    ILogger<EvaluationService> logger) : VerbService("evaluate", lifetime, outcome, logger)
{
    protected override void Run(CancellationToken stoppingToken)
    {
        string checkpoint = CheckpointArgument.Resolve(options.Value.Checkpoint, "evaluate", "Bbn:Evaluate:Checkpoint");
        var header = NetworkFactory.ReadHeaderWithData(checkpoint);
        var data = header.Data!;
        var t = bbn.Value.Training;
        var device = TorchRuntime.ResolveDevice(t.Device, t.Threads);
        using var network = components.Network(checkpoint, header);
        network.to(device);
        using var test = LoadTest(header.Dataset, device);
        if (!test.ClassNames.SequenceEqual(data.ClassNames))
            throw new InvalidDataException(
                $"Checkpoint {checkpoint} was trained on {data.ClassNames.Count} classes of {header.Dataset}, but the test split at Bbn:Dataset has {test.ClassNames.Count} other or differently named classes. Point Bbn:Dataset:Root at the data the run was trained on.");
        using var preprocessing = new BatchAugmenter(data.Normalization, data.Shape.Channels, device, padding: 0, flip: false);
        var loss = components.Loss(header, bbn.Value.Loss.Name!);
        int lastStageEpochs = header.Stages?[^1].Epochs ?? header.Epochs;
        var context = new LossContext(data.ClassCounts, lastStageEpochs, lastStageEpochs);
        // The knobs tuned on the validation split after training, unless Bbn:PostHoc:Apply is false.
        var applied = bbn.Value.PostHoc.Apply ? header.Tuned : null;
        var report = Evaluator.Evaluate(network, test, preprocessing, t.EvaluationBatchSize, data.ClassCounts,
            new ShotThresholds(t.ManyShotThreshold, t.FewShotThreshold), logits => loss.AdjustForInference(logits, context), applied);

        string summaryPath = Path.GetFullPath(options.Value.Output ?? Path.Combine(Path.GetDirectoryName(checkpoint)!, "evaluation", "summary.json"));
        string folder = Path.GetDirectoryName(summaryPath)!;
        Directory.CreateDirectory(folder);
        var summary = Summaries.Of(header.Method, report, data.ClassNames, data.ClassCounts, header.Epochs, header.Position, t, checkpoint, test.SkippedImages) with { Applied = applied };
        RunDirectory.WriteSummary(summary, summaryPath);
        ResultsTable.Write(summary, output.Writer);
        EvaluateLog.Evaluated(logger, checkpoint, report.Top1, summaryPath);
        if (applied is { IsIdentity: false }) EvaluateLog.Applied(logger, PostHocTuner.Describe(applied));

        // The training curves come from the run's metrics.jsonl when the checkpoint lies in its run directory.
        var runDirectory = new RunDirectory(Path.GetDirectoryName(checkpoint)!);
        var metrics = File.Exists(runDirectory.MetricsPath) ? runDirectory.ReadMetrics() : null;
        var plots = RunPlots.Write(folder, summary, metrics);
        VerbLog.Plots(logger, string.Join(", ", plots));
    }

    /// <summary>The test split; a missing dataset names the setting that pointed at it and where that setting came from.</summary>
    private Bbn.Core.Data.IImageSet LoadTest(string dataset, TorchSharp.torch.Device device)
    {
        try
        {
            return composer.LoadTest(dataset, device);
        }
        catch (Exception e) when (e is DatasetNotFoundException or FileNotFoundException or DirectoryNotFoundException && runSettings.FirstOrDefault() is { } run)
        {
            const string key = "Bbn:Dataset:Root";
            string root = configuration[key] ?? "(its default)";
            throw new DatasetNotFoundException($"{e.Message.TrimEnd()} ({key} = '{root}', {run.Origin(key, configuration)}; give --{key}=<folder> where the data now lies.)");
        }
    }
}
