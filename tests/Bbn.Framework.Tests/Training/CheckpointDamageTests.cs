using Bbn.Core.Runs;
using Bbn.Core.Data;
using Bbn.Core.Training;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>Checkpoints that survive damage: a checksum verified on every read, the previous checkpoint kept, resume falling back to it.</summary>
[Collection(TorchCollection.Name)]
public sealed class CheckpointDamageTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-damage-").FullName;

    /// <summary>Two checkpoints of a single-branch session: after "epoch 1" (now the previous) and after "epoch 2" (the newest).</summary>
    private string TwoCheckpoints(TrainingSession session)
    {
        string path = Path.Combine(root, RunDirectory.CheckpointFile);
        session.Checkpoints.Save(path, TrainingPosition.Start with { Epoch = 2 }, completed: false);
        session.Checkpoints.Save(path, TrainingPosition.Start with { Epoch = 3 }, completed: false);
        return path;
    }

    private static TrainingSession Session(ImageSet train) =>
        Sessions.Create("single-branch", new TrainingOptions { Epochs = 3, BatchSize = 8, WarmupEpochs = 1 }, train);

    [Fact]
    public void Each_write_keeps_the_checkpoint_it_replaces_and_both_verify()
    {
        using var train = Synthetic.Set([16, 8]);
        using var session = Session(train);

        string path = TwoCheckpoints(session);

        Checkpoint.ReadHeader(path).Position.Epoch.Should().Be(3);
        Checkpoint.ReadHeader(Checkpoint.PreviousPath(path)).Position.Epoch.Should().Be(2);
        Checkpoint.PreviousPath(path).Should().EndWith("checkpoint.previous.bbn");
        Checkpoint.Verify(path);
        Checkpoint.Verify(Checkpoint.PreviousPath(path));
        Directory.GetFiles(root, "*.tmp").Should().BeEmpty();
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("flipped")]
    public void A_damaged_newest_checkpoint_is_named_and_resume_falls_back_to_the_previous_one(string damage)
    {
        using var train = Synthetic.Set([16, 8]);
        using var session = Session(train);
        string path = TwoCheckpoints(session);
        byte[] bytes = File.ReadAllBytes(path);
        if (damage == "truncated") File.WriteAllBytes(path, bytes[..(bytes.Length * 2 / 3)]);
        else
        {
            bytes[bytes.Length / 2] ^= 0x40;
            File.WriteAllBytes(path, bytes);
        }

        var load = () => session.Checkpoints.Restore(path);
        load.Should().Throw<CheckpointDamagedException>().WithMessage($"Checkpoint {path} is damaged: *{Checkpoint.PreviousPath(path)}*falls back*");

        string chosen = Checkpoint.ForResume(path, out string? reason);
        chosen.Should().Be(Checkpoint.PreviousPath(path));
        reason.Should().Contain(path);
        session.Checkpoints.Restore(chosen).Epoch.Should().Be(2, "the previous checkpoint stands at epoch 2");
    }

    [Fact]
    public void With_both_checkpoints_damaged_resume_says_so()
    {
        using var train = Synthetic.Set([16, 8]);
        using var session = Session(train);
        string path = TwoCheckpoints(session);
        foreach (string file in new[] { path, Checkpoint.PreviousPath(path) }) File.WriteAllBytes(file, File.ReadAllBytes(file)[..200]);

        var act = () => Checkpoint.ForResume(path, out _);

        act.Should().Throw<InvalidDataException>().WithMessage($"{Checkpoint.PreviousPath(path)} is not a Bbn.Framework checkpoint, or it is truncated*");
    }

    [Fact]
    public void A_write_that_fails_leaves_no_temporary_file_and_the_checkpoints_before_it()
    {
        using var train = Synthetic.Set([16, 8]);
        using var session = Session(train);
        string path = TwoCheckpoints(session);
        // The previous checkpoint's name taken by a folder: the rename of the newest fails after the temporary file is written.
        string previous = Checkpoint.PreviousPath(path);
        File.Delete(previous);
        Directory.CreateDirectory(previous);

        var act = () => session.Checkpoints.Save(path, TrainingPosition.Start with { Epoch = 4 }, completed: false);

        act.Should().Throw<IOException>();
        Directory.GetFiles(root, "*.tmp").Should().BeEmpty();
        Checkpoint.ReadHeader(path).Position.Epoch.Should().Be(3, "the newest good checkpoint is untouched");
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
