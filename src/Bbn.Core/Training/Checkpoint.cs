using Bbn.Abstractions.Optimizers;
using Bbn.Core.Runs;
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
/// average of the weights after the optimiser state, Tuned holds the inference knobs tuned on the
/// validation split after training, which evaluate and predict apply.
/// </summary>
public sealed record CheckpointHeader(
    int FormatVersion, string Method, string Backbone, string Dataset, int ClassCount, int Seed, int Epochs, TrainingPosition Position, bool Completed,
    string Classifier = ClassifierHeadNames.Linear, TrainingData? Data = null, string? Loss = null, IReadOnlyList<StageRecord>? Stages = null,
    string? PostHoc = null, bool HasAverage = false, Evaluation.PostHocSettings? Tuned = null,
    IReadOnlyDictionary<string, System.Text.Json.JsonElement>? HookStates = null, string? Optimizer = null);

/// <summary>A stage as the checkpoint records it.</summary>
public sealed record StageRecord(string Name, int Epochs);

/// <summary>
/// What the network was trained on: class names and sizes, the input shape and its normalisation, and
/// for file datasets the recipe whose test view a new image gets (null: decoded tensors, see ImageDecoder.Fit).
/// </summary>
public sealed record TrainingData(IReadOnlyList<string> ClassNames, int[] ClassCounts, ImageShape Shape, ChannelNormalization Normalization, ImageRecipe? Recipe = null);

/// <summary>
/// One file: magic, a JSON header, the network's parameters and buffers, the optimiser's state,
/// (when the header says so) the moving average of the weights, and (format 2) a SHA-256 trailer
/// over everything before it, verified before anything is read. RNG state needs no storage: every
/// random choice derives from (seed, epoch, step), see SeedStreams. Written to a temporary file,
/// flushed to disk and renamed; the checkpoint it replaces is kept as checkpoint.previous.bbn, so
/// that a damaged newest file still leaves the one before it.
/// </summary>
public static class Checkpoint
{
    public const int FormatVersion = 3;
    private const string Magic = "BBNCKPT";
    private static readonly byte[] TrailerMagic = Encoding.ASCII.GetBytes("BBNSHA256");
    private const int HashLength = 32;

    /// <summary>Where the checkpoint that <paramref name="path"/> replaced is kept: checkpoint.bbn -> checkpoint.previous.bbn.</summary>
    public static string PreviousPath(string path) =>
        Path.Combine(Path.GetDirectoryName(path) ?? "", Path.GetFileNameWithoutExtension(path) + ".previous" + Path.GetExtension(path));

    public static void Save(string path, CheckpointHeader header, BranchNetwork network, TorchSharp.Modules.OptimizerHelper? optimizer, WeightAverage? average = null)
    {
        header = header with { HasAverage = average is not null, FormatVersion = FormatVersion, Optimizer = optimizer?.GetType().Name };
        string temporary = path + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.ReadWrite))
            {
                using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
                {
                    writer.Write(Magic);
                    writer.Write(JsonSerializer.Serialize(header, RunJson.Options));
                    network.save(writer);
                    writer.Write(optimizer is not null);
                    if (optimizer is not null)
                    {
                        // Length-prefixed (format 3), so that a reader can pass over the state of any optimiser.
                        using var state = new MemoryStream();
                        using (var stateWriter = new BinaryWriter(state, Encoding.UTF8, leaveOpen: true)) optimizer.save_state_dict(stateWriter);
                        writer.Write(state.Length);
                        writer.Write(state.GetBuffer(), 0, (int)state.Length);
                    }
                    average?.Save(writer);
                    writer.Flush();
                }
                stream.Position = 0;
                byte[] hash = System.Security.Cryptography.SHA256.HashData(stream);
                stream.Write(TrailerMagic);
                stream.Write(hash);
                stream.Flush(flushToDisk: true);
            }
            if (File.Exists(path)) File.Move(path, PreviousPath(path), overwrite: true);
            File.Move(temporary, path, overwrite: false);
            AtomicFile.SyncDirectory(path);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            File.Delete(temporary);
            string kept = File.Exists(path) ? $"{path} (the previous checkpoint) is intact" : "no checkpoint had been written yet";
            throw new CheckpointWriteException($"Could not write the checkpoint {path}: {e.Message.TrimEnd('.')}. {kept}; free space on that disk, or choose another folder with Bbn:Training:OutputDirectory, then resume.", e);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Verifies <paramref name="path"/>'s checksum (format 2; format 1 files have none); throws
    /// <see cref="CheckpointDamagedException"/>, naming the file, when it is truncated or altered.
    /// </summary>
    public static void Verify(string path)
    {
        var header = ReadHeader(path);
        if (header.FormatVersion < 2) return;
        using var stream = File.OpenRead(path);
        long body = stream.Length - TrailerMagic.Length - HashLength;
        if (body <= 0) throw Damaged(path, "it is truncated");
        byte[] trailer = new byte[TrailerMagic.Length + HashLength];
        stream.Position = body;
        stream.ReadExactly(trailer);
        if (!trailer.AsSpan(0, TrailerMagic.Length).SequenceEqual(TrailerMagic)) throw Damaged(path, "it is truncated (no checksum at its end)");
        stream.Position = 0;
        using var part = new BoundedStream(stream, body);
        byte[] hash = System.Security.Cryptography.SHA256.HashData(part);
        if (!hash.AsSpan().SequenceEqual(trailer.AsSpan(TrailerMagic.Length))) throw Damaged(path, "its checksum does not match its contents");
    }

    /// <summary>
    /// The checkpoint to resume from: <paramref name="path"/> when it verifies, else the previous one when
    /// that does (<paramref name="damage"/> says what was wrong with the newest); throws when neither does.
    /// </summary>
    public static string ForResume(string path, out string? damage)
    {
        damage = null;
        try
        {
            if (!File.Exists(path)) throw Damaged(path, "it is missing");
            Verify(path);
            return path;
        }
        catch (Exception e) when (e is CheckpointDamagedException or InvalidDataException)
        {
            string previous = PreviousPath(path);
            if (!File.Exists(previous)) throw;
            Verify(previous);
            damage = e.Message;
            return previous;
        }
    }

    private static CheckpointDamagedException Damaged(string path, string what) => new(
        $"Checkpoint {path} is damaged: {what}. " +
        (File.Exists(PreviousPath(path))
            ? $"The one before it is {PreviousPath(path)}: resuming falls back to it; evaluate, predict and export take it by name."
            : "There is no earlier checkpoint beside it; train the run again."));
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
        Verify(path);
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        var header = ReadHeader(reader, path);
        network.load(reader);
        var optimizer = optimizerFor(header);
        bool hasOptimizer = reader.ReadBoolean();
        if (!hasOptimizer) return header;
        if (optimizer is not null && header.Optimizer is { } saved && saved != optimizer.GetType().Name)
            throw new InvalidDataException($"Checkpoint {path} holds the state of a {saved} optimiser; this run's stage uses {optimizer.GetType().Name}. Resume with the run's Bbn:Optimizer.");
        if (header.FormatVersion >= 3)
        {
            long length = reader.ReadInt64();
            long end = stream.Position + length;
            if (optimizer is not null) optimizer.load_state_dict(reader);
            stream.Position = end;
        }
        else if (optimizer is not null) optimizer.load_state_dict(reader);
        else if (header.HasAverage && average is not null) SkipSgdState(reader, network);
        if (header.HasAverage && average is not null) average.Load(reader);
        return header;
    }

    /// <summary>Reads past the SGD state of a format 1 or 2 checkpoint (not length-prefixed), into a throw-away SGD over the same parameters.</summary>
    private static void SkipSgdState(BinaryReader reader, BranchNetwork network)
    {
        using var scratch = new SafeSgd(network.parameters(), 0.1, 0.9);
        scratch.load_state_dict(reader);
    }

    private static CheckpointHeader ReadHeader(BinaryReader reader, string path)
    {
        CheckpointHeader? header;
        try
        {
            header = reader.ReadString() == Magic
                ? JsonSerializer.Deserialize<CheckpointHeader>(TunedKnobUpgrade.Apply(reader.ReadString()), RunJson.Options)
                : null;
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException)
        {
            header = null;
        }
        if (header is null)
            throw new InvalidDataException($"{path} is not a Bbn.Framework checkpoint, or it is truncated. Point at the checkpoint.bbn of a run directory.");
        if (header.FormatVersion is < 1 or > FormatVersion)
            throw new InvalidDataException($"Checkpoint {path} has format {header.FormatVersion}; this build reads formats 1 to {FormatVersion}.");
        return header;
    }
}

/// <summary>A checkpoint file that is truncated or whose checksum does not match; the message names it and what to do.</summary>
public sealed class CheckpointDamagedException(string message) : IOException(message);

/// <summary>Reads the first <c>length</c> bytes of a stream (for hashing a file less its trailer).</summary>
internal sealed class BoundedStream(Stream inner, long length) : Stream
{
    private long read;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (read >= length) return 0;
        int n = inner.Read(buffer, offset, (int)Math.Min(count, length - read));
        read += n;
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A checkpoint that could not be written (a full disk, a read-only folder); the message names the file, what is kept and what to do.</summary>
public sealed class CheckpointWriteException(string message, Exception inner) : IOException(message, inner);
