using Bbn.Hosting.Inference;
using Bbn.Abstractions;
using Bbn.Core.Inference;
using Bbn.Core.Interop;
using Bbn.Core.Training;
using Bbn.Hosting.Composition;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bbn.Hosting.Verbs;

/// <summary>The `export` verb: a checkpoint's network as a PyTorch state_dict with the official BBN parameter names.</summary>
public sealed class ExportService(
    IOptions<ExportOptions> options,
    CheckpointComponents components,
    IHostApplicationLifetime lifetime,
    RunOutcome outcome,
    ILogger<ExportService> logger) : VerbService("export", lifetime, outcome, logger)
{
    protected override void Run(CancellationToken stoppingToken)
    {
        string checkpoint = CheckpointArgument.Resolve(options.Value.Checkpoint, "export", "Bbn:Export:Checkpoint");
        string output = string.IsNullOrWhiteSpace(options.Value.Output)
            ? throw new ArgumentException($"export needs an output file: {VerbArguments.Usage("export")}")
            : Path.GetFullPath(options.Value.Output);
        if (Directory.Exists(output)) throw new ArgumentException($"Bbn:Export:Output = '{options.Value.Output}' is a folder; give a file name such as model.pth.");

        var header = NetworkFactory.ReadHeaderWithData(checkpoint);
        using var network = components.Network(checkpoint, header);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        OfficialBbnWeights.Export(network, output);
        ExportLog.Exported(logger, checkpoint, output, network.state_dict().Count);
    }
}
