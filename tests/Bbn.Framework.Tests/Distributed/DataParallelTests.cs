using Bbn.Core.Runs;
using System.Diagnostics;
using System.Reflection;
using Bbn.Core.Training;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>
/// `mpirun -np 2` through the real host, each rank on one thread: identical weights after every step,
/// a run directory like a single process's, the same step as one process at the whole batch, a
/// killed rank, ranks started differently, and a process outside mpirun that never loads MPI.
/// </summary>
[Collection(PluginFixturesCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class DataParallelTests(PluginFixtures fixtures) : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-mpi-").FullName;

    private string Data => FashionMnistFiles.WriteSubset(Path.Combine(root, "data"), trainImages: 1000, testImages: 200);

    private string[] Arguments(string data, string runName, int epochs = 2, params string[] extra) =>
    [
        "train", .. AppRunner.PluginDirectories(fixtures.PlainCnn), $"--Bbn:Dataset:Root={data}", $"--Bbn:Training:OutputDirectory={Path.Combine(root, "runs")}",
        $"--Bbn:Training:RunName={runName}", $"--Bbn:Training:Epochs={epochs}", "--Bbn:Training:BatchSize=32", "--Bbn:Training:MaxStepsPerEpoch=3",
        "--Bbn:Training:Threads=1", "--Bbn:Training:LogEverySteps=1",
        // No refit under mpirun yet: the single-process runs these are compared with must not refit either.
        "--Bbn:Validation:Refit=never", .. extra,
    ];

    private RunDirectory Run(string name) => new(Path.Combine(root, "runs", name));

    [Fact]
    public async Task Two_ranks_of_BBN_hold_identical_weights_after_every_step_and_leave_a_single_process_run_directory()
    {
        string data = Data;
        var (code, output, error) = await MpiRun.Run(2, Arguments(data, "two", extra: "--Bbn:Distributed:CheckWeightsEvery=1"));
        code.Should().Be(0, error + output);
        output.Should().Contain("Data-parallel over 2 ranks").And.Contain("a step's global batch of 32 is 16 images a rank")
            .And.Contain("The weights of all 2 ranks were compared after 6 steps (Bbn:Distributed:CheckWeightsEvery): identical every time");
        output.Split('\n').Count(l => l.Contains("Finished: top1", StringComparison.Ordinal)).Should().Be(1, "rank 0 alone reports");

        var (singleCode, _, singleError) = await AppRunner.Run(Arguments(data, "one"));
        singleCode.Should().Be(0, singleError);
        Directory.GetDirectories(Path.Combine(root, "runs")).Select(Path.GetFileName).Should().BeEquivalentTo(["one", "two"], "the other rank writes no run of its own");
        Files(Run("two")).Should().Equal(Files(Run("one")));
        Run("two").ReadMetrics().Should().HaveCount(2).And.OnlyContain(m => m.Steps == 3 && double.IsFinite(m.TrainLoss));
        Checkpoint.ReadHeader(Run("two").CheckpointPath).Completed.Should().BeTrue();
    }

    [Fact]
    public async Task Two_ranks_at_half_the_batch_take_the_step_of_one_process_at_the_whole_batch()
    {
        string data = Data;
        string[] plain = ["--Bbn:Backbone:Name=plain-cnn", "--Bbn:PostHoc:Tune=false"];
        var (code, output, error) = await MpiRun.Run(2, Arguments(data, "two", extra: plain));
        code.Should().Be(0, error + output);
        var (singleCode, _, singleError) = await AppRunner.Run(Arguments(data, "one", extra: plain));
        singleCode.Should().Be(0, singleError);

        using var one = PlainCnnWeights(Run("one").CheckpointPath);
        using var two = PlainCnnWeights(Run("two").CheckpointPath);
        one.Tensors.Keys.Should().BeEquivalentTo(two.Tensors.Keys);
        foreach (var (name, tensor) in one.Tensors)
        {
            double difference = (tensor - two.Tensors[name]).abs().max().item<float>();
            difference.Should().BeLessThan(1e-5, $"{name} after 6 steps is the one-process step's, up to the order of float sums");
        }
    }

    [Fact]
    public async Task A_killed_rank_ends_the_run_with_an_error_naming_it_and_an_intact_checkpoint()
    {
        string data = Data;
        var arguments = Arguments(data, "killed", epochs: 40, "--Bbn:Distributed:StopTimeoutSeconds=5");
        using var mpirun = MpiRun.Start(arguments, arguments);
        var output = mpirun.StandardOutput.ReadToEndAsync();
        var error = mpirun.StandardError.ReadToEndAsync();
        var checkpoint = Run("killed").CheckpointPath;
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(checkpoint) && !mpirun.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(100);
        File.Exists(checkpoint).Should().BeTrue("the first epoch's checkpoint is written: " + (mpirun.HasExited ? await output + await error : ""));
        var ranks = MpiRun.Ranks(mpirun);
        ranks.Should().ContainKey(1);
        using (var kill = Process.Start("/bin/sh", ["-c", $"kill -KILL {ranks[1]}"])) await kill.WaitForExitAsync();
        var killed = Stopwatch.StartNew();
        (await Task.WhenAny(mpirun.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)))).Should().NotBeNull();
        mpirun.HasExited.Should().BeTrue("the other rank is stopped within a minute of the kill");
        killed.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(60));
        mpirun.ExitCode.Should().NotBe(0);
        (await output + await error).Should().MatchRegex(@"rank 1 with PID \d+ .*exited on signal 9", "mpirun names the rank that died");
        (await MpiRun.WaitForEnd([ranks[0]], TimeSpan.FromSeconds(60))).Should().BeEmpty("rank 0, waiting for the dead rank, ends within Bbn:Distributed:StopTimeoutSeconds");

        Checkpoint.ForResume(checkpoint, out string? damage).Should().NotBeNull();
        damage.Should().BeNull("the last checkpoint is intact");
        var (code, resumed, resumeError) = await MpiRun.Run(2, Arguments(data, "killed", epochs: 3, "--Bbn:Training:Resume=true"));
        code.Should().Be(0, resumeError + resumed);
        resumed.Should().Contain("Resuming");
        Run("killed").ReadMetrics().Select(m => m.Epoch).Should().Equal(1, 2, 3);
    }

    [Fact]
    public async Task A_two_stage_method_trains_data_parallel_without_knowing_it()
    {
        var (code, output, error) = await MpiRun.Run(2, Arguments(Data, "crt", epochs: 2, "--Bbn:Method:Name=crt", "--Bbn:Method:ClassifierEpochs=1",
            "--Bbn:Distributed:CheckWeightsEvery=1"));
        code.Should().Be(0, error + output);
        output.Should().Contain("Stage 2/2").And.Contain("The weights of all 2 ranks were compared after 9 steps (Bbn:Distributed:CheckWeightsEvery): identical every time");
        Run("crt").ReadMetrics().Select(m => m.Stage).Should().Equal(1, 1, 2);
    }

    [Fact]
    public async Task A_stop_request_to_mpirun_stops_every_rank_at_the_same_step_with_a_checkpoint_and_the_run_resumes()
    {
        string data = Data;
        // Eight steps an epoch, not three: Open MPI kills the ranks 1 s after it forwards the SIGTERM, so a stop that
        // lands next to the epoch's evaluation (a slow CI machine noticed the first checkpoint late) could not finish.
        string[] stopped = Arguments(data, "stopped", 40, "--Bbn:Training:MaxStepsPerEpoch=8");
        using var mpirun = MpiRun.Start(stopped, stopped);
        var output = mpirun.StandardOutput.ReadToEndAsync();
        var error = mpirun.StandardError.ReadToEndAsync();
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(Run("stopped").CheckpointPath) && !mpirun.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(100);
        var ranks = MpiRun.Ranks(mpirun);
        using (var term = Process.Start("/bin/sh", ["-c", $"kill -TERM {mpirun.Id}"])) await term.WaitForExitAsync();
        (await Task.WhenAny(mpirun.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)))).Should().NotBeNull();
        mpirun.HasExited.Should().BeTrue();
        string printed = await output + await error;
        printed.Should().Contain("Stopped at epoch", "rank 0 writes the stop's checkpoint");
        (await MpiRun.WaitForEnd(ranks.Values, TimeSpan.FromSeconds(30))).Should().BeEmpty("every rank ended");
        File.ReadAllText(Run("stopped").StatusPath).Should().Contain("\"state\": \"stopped\"");

        // On a fast machine the stop can land after epoch 3: the resumed run goes at least one epoch further, so it trains.
        int epochs = Math.Max(3, Checkpoint.ReadHeader(Run("stopped").CheckpointPath).Position.Epoch);
        var (code, resumed, resumeError) = await MpiRun.Run(2, Arguments(data, "stopped", epochs, "--Bbn:Training:Resume=true", "--Bbn:Distributed:CheckWeightsEvery=1"));
        code.Should().Be(0, resumeError + resumed);
        resumed.Should().Contain("identical every time");
        Run("stopped").ReadMetrics().Select(m => m.Epoch).Should().Equal(Enumerable.Range(1, epochs));
    }

    [Fact]
    public async Task A_rank_started_with_other_settings_is_refused_before_anything_is_written()
    {
        string data = Data;
        var (code, output, error) = await MpiRun.RunToEnd(MpiRun.Start(Arguments(data, "differ"), Arguments(data, "differ", extra: "--Bbn:Training:Seed=1")));
        code.Should().NotBe(0);
        (output + error).Should().Contain("Rank(s) 1 of 2 were started with other settings or plugins than rank 0")
            .And.Contain("start every rank with the same arguments, appsettings.json and plugins folder");
        Directory.Exists(Path.Combine(root, "runs", "differ")).Should().BeFalse();
    }

    [Fact]
    public async Task Outside_mpirun_no_MPI_library_is_loaded_and_a_missing_one_asked_for_is_named()
    {
        var (code, _, error) = await AppRunner.Run(Arguments(Data, "alone", epochs: 1));
        code.Should().Be(0, error);
        File.ReadAllText("/proc/self/maps").Should().NotContain("libmpi", "a single process never opens MPI");

        var (missing, _, missingError) = await AppRunner.Run(Arguments(Data, "asked", epochs: 1, "--Bbn:Distributed:Backend=mpi", "--Bbn:Distributed:Library=/nonexistent/libmpi.so.40"));
        missing.Should().Be(2);
        missingError.Should().Contain("Bbn:Distributed:Library = '/nonexistent/libmpi.so.40' could not be opened").And.Contain("Install Open MPI");
    }

    private static List<string> Files(RunDirectory run) =>
        Directory.GetFiles(run.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(run.Path, f))
            .Select(f => f.StartsWith("tensorboard", StringComparison.Ordinal) ? "tensorboard/" : f).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>A checkpoint's tensors read into a BBN network over the plain-cnn fixture.</summary>
    private CheckpointTensors PlainCnnWeights(string checkpoint)
    {
        var assembly = Assembly.LoadFrom(Path.Combine(fixtures.PlainCnn, "PlainCnn", "PlainCnn.dll"));
        var backbone = (Bbn.Abstractions.IBackbone)Activator.CreateInstance(assembly.GetType("PlainCnn.PlainCnnBackbone")!)!;
        var header = Checkpoint.ReadHeader(checkpoint);
        var method = BuiltInComponents.Create<Bbn.Abstractions.ITrainingMethod>(header.Method);
        return new CheckpointTensors(Bbn.Core.Inference.NetworkFactory.Load(checkpoint, header, backbone, method));
    }

    private sealed class CheckpointTensors(Bbn.Core.Model.BranchNetwork network) : IDisposable
    {
        public Dictionary<string, TorchSharp.torch.Tensor> Tensors { get; } = network.state_dict();

        public void Dispose() => network.Dispose();
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
