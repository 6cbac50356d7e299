using System.Text;
using System.Text.Json;
using Bbn.Abstractions;
using Bbn.Core.Model;
using static TorchSharp.torch;

namespace Bbn.Core.Training;

/// <summary>
/// Where a run stands: the next step to run (stage from 1, epoch within the stage from 1, step from 0)
/// and what the epoch has accumulated so far.
/// </summary>
public sealed record TrainingPosition(int Epoch, int Step, double EpochLossSum, long EpochSamples, long ImagesSeen, double TrainingSeconds, int Stage = 1)
{
    public static TrainingPosition Start => new(1, 0, 0, 0, 0, 0);

    /// <summary>Nothing of the stage has run yet: its start-of-stage changes (a fresh optimiser, a re-initialised classifier) are still to come.</summary>
    public bool AtStageStart => Epoch == 1 && Step == 0;
}

/// <summary>
/// The checkpoint's header: enough to refuse a mismatched network, to resume exactly, and (with
/// <see cref="Data"/>) to rebuild the network and its input pipeline without the dataset (predict, export).
/// Epochs counts every stage's; Loss is Bbn:Loss; Stages lists each stage's name and epochs; PostHoc names
/// the stage whose end changed the classifier (tau-normalisation), HasAverage says the file holds a moving
/// average of the weights after the optimiser state.
/// </summary>
public sealed record CheckpointHeader(
    int FormatVersion, string Method, string Backbone, string Dataset, int ClassCount, int Seed, int Epochs, TrainingPosition Position, bool Completed,
    string Classifier = ClassifierHeadNames.Linear, TrainingData? Data = null, string? Loss = null, IReadOnlyList<StageRecord>? Stages = null,
    string? PostHoc = null, bool HasAverage = false);

/// <summary>A stage as the checkpoint records it.</summary>
public sealed record StageRecord(string Name, int Epochs);

/// <summary>
/// What the network was trained on: class names and sizes, the input shape and its normalisation, and
/// for file datasets the recipe whose test view a new image gets (null: decoded tensors, see ImageDecoder.Fit).
/// </summary>
public sealed record TrainingData(IReadOnlyList<string> ClassNames, int[] ClassCounts, ImageShape Shape, ChannelNormalization Normalization, ImageRecipe? Recipe = null);

/// <summary>
/// One file: magic, a JSON header, the network's parameters and buffers, the optimiser's state, and
/// (when the header says so) the moving average of the weights.
/// RNG state needs no storage: every random choice derives from (seed, epoch, step), see SeedStreams.
/// Written to a temporary file and renamed, so an interrupted write never replaces a good checkpoint.
/// </summary>
public static class Checkpoint
{
    public const int FormatVersion = 1;
    private const string Magic = "BBNCKPT";

    public static void Save(string path, CheckpointHeader header, BranchNetwork network, TorchSharp.Modules.OptimizerHelper? optimizer, WeightAverage? average = null)
    {
        header = header with { HasAverage = average is not null };
        string temporary = path + ".tmp";
        using (var stream = File.Create(temporary))
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(JsonSerializer.Serialize(header, RunJson.Options));
            network.save(writer);
            writer.Write(optimizer is not null);
            if (optimizer is not null) optimizer.save_state_dict(writer);
            average?.Save(writer);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    public static CheckpointHeader ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        return ReadHeader(reader, path);
    }

    public static CheckpointHeader Load(string path, BranchNetwork network, TorchSharp.Modules.OptimizerHelper? optimizer) =>
        Load(path, network, _ => optimizer, null);

    /// <summary>
    /// Loads the network, then asks <paramref name="optimizerFor"/> (given the header) for the optimiser
    /// to load the saved state into (null skips it), then the moving average when both have one.
    /// </summary>
    public static CheckpointHeader Load(string path, BranchNetwork network, Func<CheckpointHeader, TorchSharp.Modules.OptimizerHelper?> optimizerFor, WeightAverage? average)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        var header = ReadHeader(reader, path);
        network.load(reader);
        var optimizer = optimizerFor(header);
        bool hasOptimizer = reader.ReadBoolean();
        if (!hasOptimizer) return header;
        if (optimizer is not null) optimizer.load_state_dict(reader);
        else if (header.HasAverage && average is not null) SkipOptimizerState(reader, network);
        if (header.HasAverage && average is not null) average.Load(reader);
        return header;
    }

    /// <summary>Reads past an optimiser state that is not loaded, into a throw-away SGD over the same parameters.</summary>
    private static void SkipOptimizerState(BinaryReader reader, BranchNetwork network)
    {
        using var scratch = TorchSharp.torch.optim.SGD(network.parameters(), 0.1, 0.9);
        scratch.load_state_dict(reader);
    }

    private static CheckpointHeader ReadHeader(BinaryReader reader, string path)
    {
        CheckpointHeader? header;
        try
        {
            header = reader.ReadString() == Magic
                ? JsonSerializer.Deserialize<CheckpointHeader>(reader.ReadString(), RunJson.Options)
                : null;
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException)
        {
            header = null;
        }
        if (header is null)
            throw new InvalidDataException($"{path} is not a Bbn.Framework checkpoint, or it is truncated. Point at the checkpoint.bbn of a run directory.");
        if (header.FormatVersion != FormatVersion)
            throw new InvalidDataException($"Checkpoint {path} has format {header.FormatVersion}; this build reads format {FormatVersion}.");
        return header;
    }
}
