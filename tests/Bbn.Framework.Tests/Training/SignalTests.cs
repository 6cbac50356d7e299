using Bbn.Core.Runs;
using System.Diagnostics;
using Bbn.Core.Training;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>SIGTERM to the real host process: it finishes the step, checkpoints and exits 0.</summary>
[Collection(TorchCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class SignalTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-signal-").FullName;

    /// <summary>SIGTERM (a stop request) and SIGHUP (the terminal closed) end the run the same way; stderr stays empty (no libtorch line either).</summary>
    [Theory]
    [InlineData("TERM")]
    [InlineData("HUP")]
    public async Task A_stop_signal_stops_the_trainer_after_a_step_with_a_checkpoint_and_exit_code_zero(string signal)
    {
        string data = FashionMnistFiles.WriteSubset(Path.Combine(root, "data"), trainImages: 2000, testImages: 100);
        using var process = TrainerProcess.Start(
        [
            "train", $"--Bbn:Dataset:Root={data}", $"--Bbn:Training:OutputDirectory={root}", "--Bbn:Training:RunName=signalled",
            "--Bbn:Training:Epochs=1", "--Bbn:Training:BatchSize=8", "--Bbn:Training:LogEverySteps=1", "--Bbn:Validation:Refit=never", // the signal, not the refit (which has its own stop test)
        ]);
        var stderr = process.StandardError.ReadToEndAsync();
        await TrainerProcess.ReadUntil(process, "step 2/");
        await Terminate(process, signal);
        string rest = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        process.ExitCode.Should().Be(0);
        (await stderr).Should().BeEmpty();
        rest.Should().Contain("Stopped at epoch 1, step").And.Contain("--Bbn:Training:Resume=true --Bbn:Training:RunName=signalled");
        var header = Checkpoint.ReadHeader(Path.Combine(root, "signalled", RunDirectory.CheckpointFile));
        header.Completed.Should().BeFalse();
        header.Position.Step.Should().BeGreaterThanOrEqualTo(2).And.BeLessThan(2000 / 8);
        System.Text.Json.JsonSerializer.Deserialize<RunStatus>(File.ReadAllText(new RunDirectory(Path.Combine(root, "signalled")).StatusPath), RunJson.Options)!
            .State.Should().Be(RunStatus.Stopped, "status.json tells other programs the run stopped");
    }

    [Fact]
    public async Task A_two_stage_run_stopped_by_sigterm_in_stage_two_resumes_there_and_ends_as_an_uninterrupted_run()
    {
        string data = FashionMnistFiles.WriteSubset(Path.Combine(root, "data"), trainImages: 1000, testImages: 100);
        string[] crt =
        [
            $"--Bbn:Dataset:Root={data}", $"--Bbn:Training:OutputDirectory={root}", "--Bbn:Method:Name=crt", "--Bbn:Method:ClassifierEpochs=1",
            "--Bbn:Training:Epochs=1", "--Bbn:Training:BatchSize=8", "--Bbn:Training:LogEverySteps=1", "--Bbn:Validation:Refit=never", // the signal, not the refit (which has its own stop test)
        ];

        using (var process = TrainerProcess.Start(["train", .. crt, "--Bbn:Training:RunName=stopped"]))
        {
            var stderr = process.StandardError.ReadToEndAsync();
            await TrainerProcess.ReadUntil(process, "Stage 2/2");
            await TrainerProcess.ReadUntil(process, "step 2/");
            await Terminate(process);
            string rest = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            process.ExitCode.Should().Be(0, await stderr);
            rest.Should().MatchRegex("Stopped at epoch 1, step [0-9]+ of stage 2");
        }
        var stopped = Checkpoint.ReadHeader(Path.Combine(root, "stopped", RunDirectory.CheckpointFile));
        stopped.Completed.Should().BeFalse();
        stopped.Position.Stage.Should().Be(2);
        stopped.Position.Step.Should().BeGreaterThanOrEqualTo(2);

        string resumed = await RunToEnd(["train", .. crt, "--Bbn:Training:RunName=stopped", "--Bbn:Training:Resume=true"]);
        resumed.Should().Contain("of stage 2", "the resumed run starts in the classifier stage");
        await RunToEnd(["train", .. crt, "--Bbn:Training:RunName=whole"]);

        var (resumedRun, wholeRun) = (new RunDirectory(Path.Combine(root, "stopped")), new RunDirectory(Path.Combine(root, "whole")));
        using var a = Weights(resumedRun.CheckpointPath);
        using var b = Weights(wholeRun.CheckpointPath);
        foreach (var (name, value) in a.Tensors)
            value.allclose(b.Tensors[name], rtol: 0, atol: 0).Should().BeTrue($"{name} equals the uninterrupted run's");
        resumedRun.ReadMetrics()[^1].Top1.Should().Be(wholeRun.ReadMetrics()[^1].Top1);
    }

    /// <summary>SIGTERM while the data load (before any step) and while the first epoch is evaluated: exit 0, a checkpoint, and a resume that ends as an uninterrupted run.</summary>
    [Theory]
    [InlineData("loading", "Loading fashion-mnist")]
    [InlineData("evaluation", "epoch 1 step 3/3")]
    public async Task Sigterm_in_another_phase_exits_0_with_a_checkpoint_and_resumes_to_the_uninterrupted_weights(string phase, string signalAfter)
    {
        string data = FashionMnistFiles.WriteSubset(Path.Combine(root, "data"), trainImages: 1000, testImages: 3000);
        string[] run =
        [
            $"--Bbn:Dataset:Root={data}", $"--Bbn:Training:OutputDirectory={root}", "--Bbn:Method:Name=single-branch", "--Bbn:Validation:Split=none",
            "--Bbn:Training:Epochs=2", "--Bbn:Training:BatchSize=8", "--Bbn:Training:MaxStepsPerEpoch=3", "--Bbn:Training:LogEverySteps=1",
        ];

        using (var process = TrainerProcess.Start(["train", .. run, $"--Bbn:Training:RunName={phase}"]))
        {
            var stderr = process.StandardError.ReadToEndAsync();
            await TrainerProcess.ReadUntil(process, signalAfter);
            await Terminate(process);
            string rest = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            process.ExitCode.Should().Be(0, await stderr);
            rest.Should().Contain("Stopped at epoch");
        }
        Checkpoint.ReadHeader(Path.Combine(root, phase, RunDirectory.CheckpointFile)).Completed.Should().BeFalse();

        await RunToEnd(["train", .. run, $"--Bbn:Training:RunName={phase}", "--Bbn:Training:Resume=true"]);
        await RunToEnd(["train", .. run, $"--Bbn:Training:RunName={phase}-whole"]);
        using var a = Weights(Path.Combine(root, phase, RunDirectory.CheckpointFile));
        using var b = Weights(Path.Combine(root, phase + "-whole", RunDirectory.CheckpointFile));
        foreach (var (name, value) in a.Tensors)
            value.allclose(b.Tensors[name], rtol: 0, atol: 0).Should().BeTrue($"{name} equals the uninterrupted run's");
    }

    private static async Task Terminate(Process process, string signal = "TERM")
    {
        // The shell's built-in kill: no dependency on a kill executable.
        using var kill = Process.Start("/bin/sh", ["-c", $"kill -{signal} {process.Id}"]);
        await kill.WaitForExitAsync();
        kill.ExitCode.Should().Be(0);
    }

    private static async Task<string> RunToEnd(IEnumerable<string> arguments)
    {
        using var process = TrainerProcess.Start(arguments);
        var stderr = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(0, await stderr);
        return output;
    }

    /// <summary>The network tensors of a checkpoint, read into the network its header describes.</summary>
    private static CheckpointWeights Weights(string checkpoint)
    {
        var header = Checkpoint.ReadHeader(checkpoint);
        var network = Bbn.Core.Inference.NetworkFactory.Load(checkpoint, header,
            BuiltInComponents.Create<Bbn.Abstractions.IBackbone>(header.Backbone), BuiltInComponents.Create<Bbn.Abstractions.ITrainingMethod>(header.Method));
        return new CheckpointWeights(network);
    }

    private sealed class CheckpointWeights(Bbn.Core.Model.BranchNetwork network) : IDisposable
    {
        public Dictionary<string, TorchSharp.torch.Tensor> Tensors { get; } = network.state_dict();

        public void Dispose() => network.Dispose();
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
