using Bbn.Core.Runs;
using System.Diagnostics;
using System.Text.Json;
using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Inference;
using Bbn.Core.Training;
using Bbn.Hosting.Runtime;
using FluentAssertions;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>
/// The CUDA code paths, on a machine with an NVIDIA GPU (scripts/gpu-check.sh runs them there: Device=cuda trait);
/// elsewhere each reports itself skipped with the reason.
/// </summary>
[Collection(TorchCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
[Trait(CudaFactAttribute.Trait, CudaFactAttribute.Value)]
public sealed class CudaTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-cuda-").FullName;
    private string Data => FashionMnistFiles.WriteSubset(Path.Combine(root, "data"), trainImages: 2000, testImages: 500);

    private string[] Train(string runName, string data, params string[] extra) =>
    [
        "train", "--Bbn:Training:Device=cuda", $"--Bbn:Dataset:Root={data}", $"--Bbn:Training:OutputDirectory={Path.Combine(root, "runs")}",
        $"--Bbn:Training:RunName={runName}", "--Bbn:Training:Epochs=2", "--Bbn:Training:BatchSize=32", "--Bbn:Training:MaxStepsPerEpoch=6", .. extra,
    ];

    [CudaTheory]
    [InlineData("bbn")]
    [InlineData("crt")]
    public async Task Bbn_and_a_two_stage_method_train_on_cuda_and_evaluate_predict_and_export_run_there(string method)
    {
        string data = Data;
        string[] methodSettings = method == "crt" ? [$"--Bbn:Method:Name={method}", "--Bbn:Method:ClassifierEpochs=1"] : [$"--Bbn:Method:Name={method}"];
        var (code, _, error) = await AppRunner.Run(Train(method, data, methodSettings));
        code.Should().Be(0, error);
        var run = new RunDirectory(Path.Combine(root, "runs", method));
        var header = Checkpoint.ReadHeader(run.CheckpointPath);
        header.Completed.Should().BeTrue();
        (header.Stages?.Count ?? 1).Should().Be(method == "crt" ? 2 : 1);

        (code, _, error) = await AppRunner.Run("evaluate", run.Path, "--Bbn:Training:Device=cuda", $"--Bbn:Evaluate:Output={Path.Combine(root, method + "-eval.json")}");
        code.Should().Be(0, error);
        string images = Path.Combine(root, "png");
        Directory.CreateDirectory(images);
        ImageFiles.Write(Path.Combine(images, "a.png"), classIndex: 1, width: 28, height: 28);
        (code, var predicted, error) = await AppRunner.Run("predict", run.Path, images, "--json", "--Bbn:Training:Device=cuda");
        code.Should().Be(0, error);
        JsonDocument.Parse(predicted).RootElement.GetArrayLength().Should().Be(1);
        string exported = Path.Combine(root, method + ".pth");
        (code, _, error) = await AppRunner.Run("export", run.Path, exported);
        code.Should().Be(0, error);
        new FileInfo(exported).Length.Should().BeGreaterThan(100_000);
    }

    [CudaFact]
    public async Task Sigterm_on_cuda_stops_after_a_step_with_a_checkpoint_and_the_run_resumes_to_its_end()
    {
        string data = Data;
        string[] settings = [.. Train("signalled", data, "--Bbn:Training:LogEverySteps=1", "--Bbn:Training:MaxStepsPerEpoch=40", "--Bbn:Training:BatchSize=16")];
        using (var process = TrainerProcess.Start(settings))
        {
            var stderr = process.StandardError.ReadToEndAsync();
            await TrainerProcess.ReadUntil(process, "step 3/");
            using (var kill = Process.Start("/bin/sh", ["-c", $"kill -TERM {process.Id}"])) await kill.WaitForExitAsync();
            string rest = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            process.ExitCode.Should().Be(0, await stderr);
            rest.Should().Contain("Stopped at epoch 1, step");
        }
        Checkpoint.ReadHeader(Path.Combine(root, "runs", "signalled", RunDirectory.CheckpointFile)).Completed.Should().BeFalse();
        var (code, _, error) = await AppRunner.Run([.. settings, "--Bbn:Training:Resume=true"]);
        code.Should().Be(0, error);
        // cuDNN's backward kernels add in no fixed order, so the resumed weights are not compared bit for bit with an
        // uninterrupted run here (the CPU signal tests do that); the resume must continue where the stop left off.
        Checkpoint.ReadHeader(Path.Combine(root, "runs", "signalled", RunDirectory.CheckpointFile)).Completed.Should().BeTrue();
    }

    /// <summary>
    /// A checkpoint trained on one device classifies the test images as on the other: the same class wherever the
    /// CPU's top two logits are further apart than the devices' rounding (TF32 convolutions on the GPU keep 10
    /// mantissa bits: about 1e-3 relative per product, 0.05 on logits of this size is over ten times that).
    /// </summary>
    [CudaTheory]
    [InlineData("cuda")]
    [InlineData("cpu")]
    public async Task A_checkpoint_trained_on_one_device_predicts_the_same_classes_on_the_other(string trainedOn)
    {
        string data = Data;
        string[] settings = Train("on-" + trainedOn, data);
        settings[1] = $"--Bbn:Training:Device={trainedOn}";
        var (code, _, error) = await AppRunner.Run(settings);
        code.Should().Be(0, error);
        string checkpoint = Path.Combine(root, "runs", "on-" + trainedOn, RunDirectory.CheckpointFile);
        var header = NetworkFactory.ReadHeaderWithData(checkpoint);
        using var network = NetworkFactory.Load(checkpoint, header, BuiltInComponents.Create<IBackbone>(header.Backbone), BuiltInComponents.Create<ITrainingMethod>(header.Method));
        network.eval();
        using var scope = NewDisposeScope();
        byte[] idx = FashionMnistFiles.Read(Path.Combine(data, "t10k-images-idx3-ubyte.gz"));
        var pixels = tensor(idx.AsSpan(16, 256 * 784).ToArray(), [256, 1, 28, 28]);
        using var augmenter = new BatchAugmenter(header.Data!.Normalization, 1, CPU, padding: 0, flip: false);
        var padded = nn.functional.pad(pixels, [2, 2, 2, 2]);
        var input = header.Data!.Shape.Height == 32 ? padded : pixels;
        using var noGrad = no_grad();
        var cpuLogits = network.to(CPU).call(augmenter.Normalize(input));
        var cudaLogits = network.to(CUDA).call(augmenter.Normalize(input).to(CUDA)).to(CPU);
        var top2 = cpuLogits.topk(2, 1).values;
        var margin = top2[.., 0] - top2[.., 1];
        var clear = margin.gt(0.05);
        var agree = cpuLogits.argmax(1).eq(cudaLogits.argmax(1));
        agree.logical_or(clear.logical_not()).all().item<bool>().Should().BeTrue("wherever the CPU's margin exceeds rounding, both devices choose the same class");
        clear.sum().item<long>().Should().BeGreaterThan(128, "most test images are clear cases, so the comparison means something");
    }

    [CudaFact]
    public void One_training_step_on_cuda_gives_the_cpu_steps_loss_within_float32_rounding()
    {
        bool tf32Matmul = backends.cuda.matmul.allow_tf32, tf32Conv = backends.cudnn.allow_tf32;
        backends.cuda.matmul.allow_tf32 = false;
        backends.cudnn.allow_tf32 = false;
        try
        {
            using var train = Synthetic.Set([40, 16, 8]);
            using var trainOnGpu = Synthetic.Set([40, 16, 8], device: CUDA);
            var options = new TrainingOptions { Epochs = 2, BatchSize = 8, WarmupEpochs = 1, Seed = 5, MinWarmupSteps = 0, ConcurrentBranches = false };
            double[] cpu, cuda;
            using (var session = Sessions.Create("bbn", options, train)) cpu = Sessions.FirstSteps(session, epoch: 1, steps: 2);
            using (var session = Sessions.Create("bbn", options, trainOnGpu, device: CUDA)) cuda = Sessions.FirstSteps(session, epoch: 1, steps: 2);
            // Same weights (seeded on the CPU, then moved), same batch: only the order of float32 additions differs
            // (cuDNN against oneDNN), a few units of 1e-7 relative per reduction; 1e-4 bounds it with room.
            for (int i = 0; i < cpu.Length; i++) cuda[i].Should().BeApproximately(cpu[i], 1e-4 * Math.Abs(cpu[i]), $"the loss of step {i + 1}");
        }
        finally
        {
            backends.cuda.matmul.allow_tf32 = tf32Matmul;
            backends.cudnn.allow_tf32 = tf32Conv;
        }
    }

    [CudaFact]
    public async Task The_file_dataset_path_trains_resnet50_at_224_on_cuda_with_pinned_non_blocking_copies()
    {
        string data = ImageFiles.WriteFolders(Path.Combine(root, "folders"), [6, 4, 2], testPerClass: 2);
        var (code, _, error) = await AppRunner.Run(
            "train", "--Bbn:Training:Device=cuda", "--Bbn:Dataset:Name=image-folder", $"--Bbn:Dataset:Root={data}", "--Bbn:Dataset:Recipe=imagenet",
            "--Bbn:Backbone:Name=resnet50", $"--Bbn:Training:OutputDirectory={Path.Combine(root, "runs")}", "--Bbn:Training:RunName=r50",
            "--Bbn:Training:Epochs=1", "--Bbn:Training:BatchSize=4", "--Bbn:Training:MaxStepsPerEpoch=2", "--Bbn:Validation:Split=none");
        code.Should().Be(0, error);
        var header = Checkpoint.ReadHeader(Path.Combine(root, "runs", "r50", RunDirectory.CheckpointFile));
        header.Backbone.Should().Be("resnet50");
        NetworkFactory.ReadHeaderWithData(Path.Combine(root, "runs", "r50", RunDirectory.CheckpointFile)).Data!.Shape.Height.Should().Be(224);
        File.Exists(new RunDirectory(Path.Combine(root, "runs", "r50")).SummaryPath).Should().BeTrue();
    }

    /// <summary>
    /// Device memory (nvidia-smi's used memory of the GPU: this test runs alone, TorchCollection) at the end of
    /// every epoch from the second on grows by less than one 20 MiB segment of PyTorch's caching allocator, the
    /// smallest growth that memory can show; a step that left a batch-sized tensor behind would add 16 MiB an epoch.
    /// </summary>
    [CudaFact]
    public void Device_memory_stays_flat_over_epochs_on_cuda()
    {
        using var train = Synthetic.Set([160, 64, 32], device: CUDA);
        var options = new TrainingOptions { Epochs = 8, BatchSize = 32, WarmupEpochs = 1, Seed = 3, EvaluateEvery = 100 };
        using var session = Sessions.Create("bbn", options, train, device: CUDA);
        var used = new List<int>();
        var observer = new EpochMemory(used);
        var run = RunDirectory.ForNewRun(root, "memory", "m", DateTimeOffset.UnixEpoch);
        TrainingLoop.Run(session, run, TrainingPosition.Start, observer, CancellationToken.None);
        used.Should().HaveCount(8);
        used.Skip(1).Max().Should().BeLessThan(used[1] + 20, $"device memory after each epoch (MiB): {string.Join(", ", used)}");
    }

    private sealed class EpochMemory(List<int> used) : ITrainingObserver
    {
        public void StepCompleted(StepProgress progress) { }

        public void EpochCompleted(EpochMetrics metrics, TimeSpan runRemaining)
        {
            cuda.synchronize();
            using var smi = Process.Start(new ProcessStartInfo("nvidia-smi", ["--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0"]) { RedirectStandardOutput = true })!;
            string text = smi.StandardOutput.ReadToEnd();
            smi.WaitForExit();
            used.Add(int.Parse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [CudaFact]
    public void A_device_index_past_the_visible_gpus_is_refused_with_the_count()
    {
        int count = cuda.device_count();
        var act = () => TorchRuntime.ResolveDevice($"cuda:{count}", 0);
        act.Should().Throw<TorchRuntimeException>().WithMessage($"*cuda:{count}*only {count} CUDA device(s)*");
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}

/// <summary>A test that needs an NVIDIA GPU: skipped, with the reason, where CUDA is not available.</summary>
internal sealed class CudaFactAttribute : FactAttribute
{
    public const string Trait = "Device";
    public const string Value = "cuda";

    public CudaFactAttribute([System.Runtime.CompilerServices.CallerFilePath] string? sourceFilePath = null,
        [System.Runtime.CompilerServices.CallerLineNumber] int sourceLineNumber = -1) : base(sourceFilePath, sourceLineNumber) => Skip = CudaAvailability.SkipReason;
}

/// <summary>As <see cref="CudaFactAttribute"/>, for theories.</summary>
internal sealed class CudaTheoryAttribute : TheoryAttribute
{
    public CudaTheoryAttribute([System.Runtime.CompilerServices.CallerFilePath] string? sourceFilePath = null,
        [System.Runtime.CompilerServices.CallerLineNumber] int sourceLineNumber = -1) : base(sourceFilePath, sourceLineNumber) => Skip = CudaAvailability.SkipReason;
}

internal static class CudaAvailability
{
    public static string? SkipReason { get; } = Probe();

    private static string? Probe()
    {
        try
        {
            return cuda.is_available() ? null
                : "no CUDA device: this build's libtorch is the CPU one or no NVIDIA GPU is visible (scripts/gpu-check.sh runs these on a GPU machine)";
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or NotSupportedException)
        {
            return "libtorch could not be loaded to ask for CUDA: " + e.Message;
        }
    }
}
