using Bbn.Core.Runs;
using System.Diagnostics;
using Bbn.Core.Data;
using Bbn.Core.Training;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>
/// A full disk, an output folder that cannot be created, two trainers on one run directory. The
/// full disk is /dev/full behind the temporary file's name: every write to it fails with ENOSPC.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class RunFaultTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-faults-").FullName;

    [Fact]
    public void A_full_disk_during_a_checkpoint_is_one_error_naming_it_and_the_previous_checkpoint_stays()
    {
        using var train = Synthetic.Set([16, 8]);
        using var session = Sessions.Create("single-branch", new TrainingOptions { Epochs = 3, BatchSize = 8, WarmupEpochs = 1 }, train);
        string path = Path.Combine(root, RunDirectory.CheckpointFile);
        session.Checkpoints.Save(path, TrainingPosition.Start with { Epoch = 2 }, completed: false);
        byte[] before = File.ReadAllBytes(path);
        File.CreateSymbolicLink(path + ".tmp", "/dev/full");

        var save = () => session.Checkpoints.Save(path, TrainingPosition.Start with { Epoch = 3 }, completed: false);

        save.Should().Throw<CheckpointWriteException>()
            .WithMessage($"Could not write the checkpoint {path}: *space*{path} (the previous checkpoint) is intact*Bbn:Training:OutputDirectory*");
        File.ReadAllBytes(path).Should().Equal(before, "nothing written earlier is lost");
        Checkpoint.Verify(path);
        Directory.GetFiles(root).Select(Path.GetFileName).Should().BeEquivalentTo([RunDirectory.CheckpointFile], "the temporary file is removed");
    }

    [Fact]
    public void A_full_disk_while_writing_a_run_file_keeps_the_old_file_and_leaves_no_temporary_file()
    {
        string path = Path.Combine(root, "status.json");
        AtomicFile.WriteAllText(path, "{\"state\":\"running\"}");
        File.CreateSymbolicLink(path + ".tmp", "/dev/full");

        var write = () => AtomicFile.WriteAllText(path, "{\"state\":\"completed\"}");

        write.Should().Throw<IOException>();
        File.ReadAllText(path).Should().Be("{\"state\":\"running\"}");
        File.Exists(path + ".tmp").Should().BeFalse();
    }

    [Fact]
    public void An_output_directory_that_cannot_be_created_names_the_setting()
    {
        string file = Path.Combine(root, "a-file");
        File.WriteAllText(file, "");
        string output = Path.Combine(file, "runs");

        var create = () => RunDirectory.ForNewRun(output, "r", "bbn", DateTimeOffset.UnixEpoch);

        create.Should().Throw<RunDirectoryException>().WithMessage($"Cannot create the run directory {Path.Combine(output, "r")} (Bbn:Training:OutputDirectory = {output}):*--Bbn:Training:OutputDirectory=<folder>*");
    }

    [Fact]
    public void A_second_trainer_on_a_run_directory_is_refused_naming_the_first()
    {
        using var other = Process.Start(new ProcessStartInfo("sleep", "60") { RedirectStandardOutput = true })!;
        try
        {
            File.WriteAllText(Path.Combine(root, RunLock.FileName),
                System.Text.Json.JsonSerializer.Serialize(new RunLock.Owner(other.Id, Environment.MachineName, DateTimeOffset.UnixEpoch)));

            var acquire = () => RunLock.Acquire(root, out _);

            acquire.Should().Throw<RunDirectoryException>().WithMessage($"Run directory {root} is in use by another trainer: process {other.Id} on {Environment.MachineName}, started 1970-01-01 00:00:00Z.*");
        }
        finally
        {
            other.Kill();
        }
    }

    [Fact]
    public void The_lock_of_a_dead_trainer_is_taken_over_and_released_at_the_end()
    {
        using var dead = Process.Start(new ProcessStartInfo("true"))!;
        dead.WaitForExit();
        string path = Path.Combine(root, RunLock.FileName);
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(new RunLock.Owner(dead.Id, Environment.MachineName, DateTimeOffset.UnixEpoch)));

        using (var taken = RunLock.Acquire(root, out var stale))
        {
            stale.Should().NotBeNull();
            stale!.ProcessId.Should().Be(dead.Id);
            File.ReadAllText(path).Should().Contain($"\"ProcessId\":{Environment.ProcessId}");
        }

        File.Exists(path).Should().BeFalse("the lock goes with its trainer");
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
