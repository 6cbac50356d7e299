using System.Diagnostics;
using System.Reflection;
using Bbn.Core;
using Bbn.Core.Training;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>SIGTERM to the real host process: it finishes the step, checkpoints and exits 0.</summary>
[Collection(TorchCollection.Name)]
public sealed class SignalTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-signal-").FullName;

    [Fact]
    public async Task Sigterm_stops_the_trainer_after_a_step_with_a_checkpoint_and_exit_code_zero()
    {
        string host = typeof(SignalTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TrainerHost").Value!;
        string data = FashionMnistFiles.WriteSubset(Path.Combine(root, "data"), trainImages: 2000, testImages: 100);
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in new[]
        {
            "train", $"--Bbn:Dataset:Root={data}", $"--Bbn:Training:OutputDirectory={root}", "--Bbn:Training:RunName=signalled",
            "--Bbn:Training:Epochs=1", "--Bbn:Training:BatchSize=8", "--Bbn:Training:LogEverySteps=1",
        })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string? line;
        while ((line = await process.StandardOutput.ReadLineAsync()) is not null && !line.Contains("step 2/", StringComparison.Ordinal))
        {
        }
        line.Should().NotBeNull("the host reports progress before it is signalled");

        // The shell's built-in kill: no dependency on a kill executable.
        using (var kill = Process.Start("/bin/sh", ["-c", $"kill -TERM {process.Id}"]))
        {
            await kill.WaitForExitAsync();
            kill.ExitCode.Should().Be(0);
        }
        string rest = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        process.ExitCode.Should().Be(0);
        (await stderr).Should().BeEmpty();
        rest.Should().Contain("Stopped at epoch 1, step").And.Contain("--Bbn:Training:Resume=true --Bbn:Training:RunName=signalled");
        var header = Checkpoint.ReadHeader(Path.Combine(root, "signalled", RunDirectory.CheckpointFile));
        header.Completed.Should().BeFalse();
        header.Position.Step.Should().BeGreaterThanOrEqualTo(2).And.BeLessThan(2000 / 8);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
