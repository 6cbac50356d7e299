using Bbn.Core.Runs;
using System.Globalization;
using System.Text.Json;
using Bbn.Abstractions;
using Bbn.Core.Inference;
using Bbn.Hosting.Composition;
using Bbn.Hosting.Inference;
using Bbn.Hosting.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Spectre.Console;
using static TorchSharp.torch;

namespace Bbn.Hosting.Verbs;

/// <summary>One image's result: its top classes, or why it could not be read.</summary>
public sealed record ImagePrediction(string File, IReadOnlyList<Prediction>? Predictions, string? Error);

/// <summary>
/// The `predict` verb: a checkpoint and image files or folders; prints the top-k classes with their
/// probabilities as a table (or JSON). An unreadable image is reported on its own row and the rest go on.
/// </summary>
public sealed class PredictService(
    IOptions<PredictOptions> options,
    IOptions<BbnOptions> bbn,
    CheckpointComponents components,
    VerbOutput output,
    IHostApplicationLifetime lifetime,
    RunOutcome outcome,
    ILogger<PredictService> logger) : VerbService("predict", lifetime, outcome, logger)
{
    protected override void Run(CancellationToken stoppingToken)
    {
        var o = options.Value;
        string checkpoint = CheckpointArgument.Resolve(o.Checkpoint, "predict", "Bbn:Predict:Checkpoint");
        if (o.Inputs.Count == 0)
            throw new ArgumentException($"predict needs images: {VerbArguments.Usage("predict")}");
        if (o.Top < 1) throw new ArgumentException($"Bbn:Predict:Top = {o.Top} is out of range: expected 1 or more.");

        var header = NetworkFactory.ReadHeaderWithData(checkpoint);
        var device = TorchRuntime.ResolveDevice(bbn.Value.Training.Device, bbn.Value.Training.Threads);
        using var predictor = Predictor.Load(checkpoint, components.Backbone(header), components.Method(header), components.Loss(header, bbn.Value.Loss.Name!), device, bbn.Value.PostHoc.Apply);

        var files = ImageFiles.Expand(o.Inputs);
        var results = new ImagePrediction[files.Count];
        foreach (var chunk in Enumerable.Range(0, files.Count).Chunk(Math.Max(1, o.BatchSize)))
        {
            if (stoppingToken.IsCancellationRequested) return;
            using var scope = NewDisposeScope();
            var read = new List<(int Index, Tensor Pixels)>();
            foreach (int index in chunk)
            {
                try
                {
                    read.Add((index, ImageFiles.Read(files[index], predictor.Data)));
                }
                catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
                {
                    results[index] = new ImagePrediction(files[index], null, e.Message);
                }
            }
            if (read.Count == 0) continue;
            var predictions = predictor.Predict(stack(read.Select(r => r.Pixels).ToArray()), o.Top);
            for (int i = 0; i < read.Count; i++) results[read[i].Index] = new ImagePrediction(files[read[i].Index], predictions[i], null);
        }

        if (o.Json) output.Writer.WriteLine(JsonSerializer.Serialize(results, RunJson.Indented));
        else WriteTable(results, o.Top);
        if (results.All(r => r.Error is not null))
            throw new InvalidDataException($"None of the {results.Length} inputs could be read as an image; see the errors above.");
    }

    private void WriteTable(ImagePrediction[] results, int top)
    {
        var console = Console.TextFormat.PlainConsole(output.Writer, width: 200);
        string folder = CommonFolder(results.Select(r => Path.GetFullPath(r.File)).ToList());
        var table = new Table().AddColumn("image").Caption(Markup.Escape($"images in {folder}"));
        int k = results.Where(r => r.Predictions is not null).Select(r => r.Predictions!.Count).DefaultIfEmpty(top).Max();
        for (int j = 1; j <= k; j++) table.AddColumn(j == 1 ? "top-1" : $"top-{j}");
        foreach (var r in results)
        {
            var cells = new List<string> { Markup.Escape(Path.GetRelativePath(folder, Path.GetFullPath(r.File))) };
            if (r.Predictions is null) cells.Add(Markup.Escape("error: " + r.Error?.Replace(folder + Path.DirectorySeparatorChar, "", StringComparison.Ordinal)));
            else cells.AddRange(r.Predictions.Select(p => Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{p.ClassName} {p.Probability:P1}"))));
            while (cells.Count < k + 1) cells.Add("");
            table.AddRow(cells.ToArray());
        }
        console.Write(table);
    }

    private static string CommonFolder(List<string> files)
    {
        string common = Path.GetDirectoryName(files[0])!;
        while (!files.All(f => f.StartsWith(common + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            common = Path.GetDirectoryName(common) ?? "/";
        return common;
    }
}
