using Bbn.Core.Inference;
using Bbn.Core.Interop;
using Bbn.Core.Training;
using Bbn.Hosting.Composition;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TorchSharp;

namespace Bbn.Hosting.Verbs;

/// <summary>
/// The `import` verb: a PyTorch state_dict into our network, saved as a completed checkpoint that
/// evaluate, predict and export take. The composition comes from the configuration, as for training;
/// of the data only the training split is read, for the class names, sizes and input normalisation
/// the checkpoint records. No test split, no optimiser, no training session.
/// </summary>
public sealed class ImportService(
    IOptions<ImportOptions> options,
    IOptions<BbnOptions> bbn,
    RunComposer composer,
    IHostApplicationLifetime lifetime,
    RunOutcome outcome,
    ILogger<ImportService> logger) : VerbService("import", lifetime, outcome, logger)
{
    protected override void Run(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (string.IsNullOrWhiteSpace(o.File) || string.IsNullOrWhiteSpace(o.Output))
            throw new ArgumentException($"import needs a state_dict and an output checkpoint: {VerbArguments.Usage("import")}");
        string file = Path.GetFullPath(o.File);
        if (!System.IO.File.Exists(file)) throw new FileNotFoundException($"Bbn:Import:File = '{o.File}': {file} does not exist.", file);
        string output = Path.GetFullPath(o.Output);
        if (System.IO.File.Exists(output) || Directory.Exists(output))
            throw new IOException($"Bbn:Import:Output = '{o.Output}' already exists; import never replaces a checkpoint. Choose a new file name.");

        var settings = bbn.Value;
        var setup = composer.Setup(settings);
        using (var data = composer.LoadTrain(torch.CPU))
        {
            var train = data.Train;
            var stages = setup.PlanStages(settings.Training, train.ClassCounts);
            using var network = Bbn.Core.Model.MethodNetworks.Build(setup.Method, setup.Backbone.Build(train.Shape), train.ClassNames.Count, setup.Classifier);
            OfficialBbnWeights.Import(network, file);
            var end = TrainingPosition.Start with { Stage = stages.Count, Epoch = stages[^1].Epochs + 1 };
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            Checkpoint.Save(output, setup.Header(RunComposer.Identity(settings), settings.Training, train, stages, end, completed: true), network, null);
        }
        ImportLog.Imported(logger, file, output);
    }
}
