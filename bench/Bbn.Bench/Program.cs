using Bbn.Core.Runs;
using Bbn.Hosting.Composition;
// The TorchSharp side of bench/run.sh: BBN and single-branch training throughput of ResNet-32 at
// batch 128 on 32x32x3 inputs (random CIFAR-shaped data held as one uint8 tensor, as the CIFAR and
// Fashion-MNIST loaders hold theirs), evaluation throughput, the data pipeline alone, resident memory
// after each epoch, and the machine's float32 matrix-product ceiling. Prints one JSON object.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Training;
using Bbn.Hosting.Plugins;
using Bbn.Hosting.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static TorchSharp.torch;

// Everything runs on one thread of its own, as the host runs a verb (VerbService): data, training,
// evaluation, the pipeline and the ceiling. libgomp counts the threads of every thread's OpenMP team
// together and, once they outnumber the CPUs, lets a team's idle workers sleep at once instead of
// spinning between parallel regions: a multi-threaded op on the process's first thread (building the
// data here) left a team there that slowed the single-branch step and evaluation on the training
// thread by about 20 % (perf: 10 % of samples in the kernel, against 3 %). A thread other than the
// first also allocates from its own C-heap arena, which glibc manages differently (see NativeHeap).
// The allocator the host ships with (tcmalloc when installed), so that speed and memory are the host's.
Bbn.Core.Runtime.NativeAllocator.PreloadIfPresent();
ExceptionDispatchInfo? failure = null;
var verb = new Thread(() =>
{
    try
    {
        Bench();
    }
    catch (Exception e)
    {
        failure = ExceptionDispatchInfo.Capture(e);
    }
}) { Name = "bench" };
verb.Start();
verb.Join();
failure?.Throw();

void Bench()
{
    var arguments = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].TrimStart('-'), p => p[1]);
    int Arg(string name, int fallback) => arguments.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
    int epochs = Arg("epochs", 10), steps = Arg("steps", 10), batch = Arg("batch", 128), threads = Arg("threads", 0);
    int singleEpochs = Arg("single-epochs", 3), evalImages = Arg("eval-images", 2000), maxPerClass = Arg("max-per-class", 5000);
    // 3: CIFAR-shaped images; 1: Fashion-MNIST's (padded to 32x32), the main job's input.
    int channels = Arg("channels", 3);

    TorchRuntime.EnsureLoaded();
    if (threads > 0) set_num_threads(threads);
    if (arguments.TryGetValue("ops", out string? layout))
    {
        OperationTimes.Print(layout == "channels-last", batch);
        return;
    }
    var catalog = PluginKernel.Load([PluginOptions.DefaultDirectory], AppContext.BaseDirectory);
    var services = new ServiceCollection();
    catalog.AddTo(services);
    var empty = new ConfigurationBuilder().Build();
    services.AddSingleton<IConfiguration>(empty);
    services.AddSingleton<ComponentResolver>();
    services.AddSingleton<IComponentSource>(sp => sp.GetRequiredService<ComponentResolver>());
    using var provider = services.BuildServiceProvider();
    T Create<T>(string name) where T : class => provider.GetRequiredKeyedService<ComponentFactory<T>>(name).Create(new ComponentContext(name, empty.GetSection("none"), provider));
    if (arguments.ContainsKey("ab"))
    {
        using var network = new Bbn.Core.Model.BranchNetwork(Create<IBackbone>("resnet32").Build(new ImageShape(channels, 32, 32)), 10, ["conventional", "rebalancing"]);
        LayoutComparison.Print(network, channels, batch, Arg("ab", 20));
        return;
    }
    if (arguments.TryGetValue("memory", out string? memoryLayout))
    {
        using var network = new Bbn.Core.Model.BranchNetwork(Create<IBackbone>("resnet32").Build(new ImageShape(channels, 32, 32)), 10, ["conventional", "rebalancing"]);
        StepMemory.Print(network, memoryLayout == "channels-last", batch, Arg("steps", 4));
        return;
    }

    // A CIFAR-10-LT-shaped set (IR 100: 12,406 images of channels x 32 x 32), random pixels.
    int[] counts = LongTailProfile.ClassCounts(maxPerClass, 100, 10);
    var labels = counts.SelectMany((n, c) => Enumerable.Repeat(c, n)).ToArray();
    manual_seed(0);
    using var pixels = randint(0, 256, [labels.Length, channels, 32, 32], dtype: ScalarType.Byte);
    var normalization = channels == 1 ? new ChannelNormalization([0.2190f], [0.3317f])
        : channels == 3 ? new ChannelNormalization([0.4914f, 0.4822f, 0.4465f], [0.2023f, 0.1994f, 0.2010f])
        : throw new ArgumentException("--channels: 1 (Fashion-MNIST) or 3 (CIFAR)");
    using var source = new LabelledImages(pixels.alias(), labels, Enumerable.Range(0, 10).Select(c => $"class {c}").ToArray(), normalization);
    using var train = ImageSet.From(source, CPU);
    using var testSource = new LabelledImages(pixels.narrow(0, 0, Math.Min(evalImages, labels.Length)).alias(), labels.Take(evalImages).ToArray(), source.ClassNames, normalization);
    using var test = ImageSet.From(testSource, CPU);

    var report = new Dictionary<string, object?>
    {
        ["side"] = "torchsharp",
        ["threads"] = get_num_threads(),
        ["batch"] = batch,
        ["channels"] = channels,
        ["allocator"] = Bbn.Core.Runtime.NativeAllocator.Current(),
    };

    string work = Directory.CreateTempSubdirectory("bbn-bench-").FullName;
    try
    {
        // BBN: epochs of `steps` steps; epoch 1 is the warm-up; resident memory after every epoch.
        var bbn = Train("bbn", epochs, "bbn");
        report["bbn_images_per_second"] = Median(bbn.Rates.Skip(1));
        report["bbn_rss_mib_per_epoch"] = bbn.Rss;
        report["memory_growth_tolerance"] = bbn.Tolerance;
        report["bbn_step_seconds"] = batch * 2 / Median(bbn.Rates.Skip(1));
        var single = Train("single-branch", singleEpochs, "single");
        report["single_images_per_second"] = Median(single.Rates.Skip(1));
        report["eval_images_per_second"] = bbn.EvalRate;

        // The data pipeline alone: both branches' batches gathered, cropped, flipped and normalised.
        using (var augmenter = new BatchAugmenter(normalization, channels, CPU, 4, true))
        {
            var order = Enumerable.Range(0, labels.Length).ToArray();
            var random = new Random(1);
            for (int warm = 0; warm < 5; warm++) using (NewDisposeScope()) augmenter.Train(train, order.AsSpan(0, batch), random);
            var watch = Stopwatch.StartNew();
            int repeats = 50;
            for (int r = 0; r < repeats; r++)
            {
                using var scope = NewDisposeScope();
                int start = (r * batch) % (labels.Length - batch);
                augmenter.Train(train, order.AsSpan(start, batch), random);
                augmenter.Train(train, order.AsSpan((start + batch) % (labels.Length - batch), batch), random);
            }
            double perStep = watch.Elapsed.TotalSeconds / repeats;
            report["pipeline_images_per_second"] = 2 * batch / perStep;
            report["pipeline_share_of_bbn_step"] = perStep / (double)report["bbn_step_seconds"]!;
        }

        report["peak_rss_mib"] = ProcessStatus.ProcessPeakMib();
        report["matmul_gflops"] = MatmulGflops();
        report["bbn_step_gflop"] = ResNet32TrainingFlopsPerImage(channels) * 2 * batch / 1e9;
        report["conv3x3_gflops"] = ConvolutionGflops();
        // The ceiling is the faster of the two: MKL's sgemm (torch.mm) leaves AVX-512 unused on AMD CPUs
        // (150 GFLOP/s on this project's Zen 5, against 390 for oneDNN's convolution, which a step runs on).
        report["ceiling_gflops"] = Math.Max((double)report["matmul_gflops"]!, (double)report["conv3x3_gflops"]!);
        report["fraction_of_ceiling"] = (double)report["bbn_step_gflop"]! / (double)report["bbn_step_seconds"]! / (double)report["ceiling_gflops"]!;
    }
    finally
    {
        Directory.Delete(work, recursive: true);
    }
    Console.WriteLine(JsonSerializer.Serialize(report));

    (List<double> Rates, List<double> Rss, double EvalRate, double Tolerance) Train(string method, int runEpochs, string name)
    {
        bool bilateral = method == "bbn";
        var options = new TrainingOptions
        {
            Epochs = runEpochs, BatchSize = batch, MaxStepsPerEpoch = steps, EvaluateEvery = 1, EvaluationBatchSize = Arg("eval-batch", 500),
            LrDecayAt = [0.6, 0.8], LogEverySteps = 1_000_000, ConcurrentBranches = Arg("concurrent-branches", 1) == 1,
            MemoryGrowthTolerance = arguments.TryGetValue("memory-growth-tolerance", out string? tolerance) ? double.Parse(tolerance, CultureInfo.InvariantCulture) : new TrainingOptions().MemoryGrowthTolerance,
        };
        var trainingMethod = Create<ITrainingMethod>(method);
        var setup = new TrainingSetup(method, trainingMethod, Create<IBackbone>("resnet32"),
            [.. trainingMethod.Branches.Select(b => Create<ISampler>(b.DefaultSampler))], Create<ILoss>("cross-entropy"));
        using var trainer = new TrainingSession(setup, options, train, test, CPU, new RunIdentity("resnet32", "bench"));
        trainer.BeginStage(1, atStageStart: true);
        var observer = new Recorder();
        if (bilateral) report["bbn_branch_execution"] = trainer.BranchExecution;
        if (bilateral)
        {
            report["bbn_managed_committed_mib_per_epoch"] = observer.ManagedCommitted;
            report["bbn_peak_rss_mib_per_epoch"] = observer.PeakRss;
            report["bbn_heap_releases"] = observer.HeapReleases;
        }
        ProcessStatus.ResetPeak();
        TrainingLoop.Run(trainer, RunDirectory.ForNewRun(work, name, "bench", DateTimeOffset.UtcNow), TrainingPosition.Start, observer, CancellationToken.None);
        var watch = Stopwatch.StartNew();
        trainer.Evaluation.Test();
        double evalRate = test.Count / watch.Elapsed.TotalSeconds;
        return (observer.Rates, observer.Rss, evalRate, options.MemoryGrowthTolerance);
    }

    static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? throw new ArgumentException("too few epochs to measure: the first epoch is the warm-up, give --epochs and --single-epochs of 2 or more") : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    static double MatmulGflops()
    {
        const int n = 2048;
        using var a = randn(n, n);
        using var b = randn(n, n);
        return Gflops(2.0 * n * n * n, () => a.mm(b));
    }

    // The machine's rate through oneDNN: a 3x3 convolution of 256 to 256 channels over 64 16x16 maps
    // (19.3 GFLOP), inference, NCHW.
    static double ConvolutionGflops()
    {
        const int batch = 64, channels = 256, side = 16;
        using var inference = no_grad();
        using var input = randn(batch, channels, side, side);
        using var weight = randn(channels, channels, 3, 3);
        return Gflops(2.0 * batch * side * side * channels * channels * 9, () => nn.functional.conv2d(input, weight, padding: [1, 1]));
    }

    // The rate of `product`, `flop` a call: two warm-up calls, then ten timed.
    static double Gflops(double flop, Func<Tensor> product)
    {
        for (int i = 0; i < 2; i++) using (product()) { }
        var watch = Stopwatch.StartNew();
        const int repeats = 10;
        for (int i = 0; i < repeats; i++) using (product()) { }
        return flop * repeats / watch.Elapsed.TotalSeconds / 1e9;
    }

    // Multiply-accumulates of the CIFAR ResNet-32 (stem + 3 stages of 5 BasicBlocks, 16/32/64 channels)
    // on a 32x32 image, x2 for FLOPs, x3 for forward + backward (input and weight gradients).
    static double ResNet32TrainingFlopsPerImage(int channels)
    {
        double macs = channels * 16 * 9 * 32 * 32;
        int inPlanes = 16, side = 32;
        foreach (int planes in new[] { 16, 32, 64 })
        {
            for (int block = 0; block < 5; block++)
            {
                if (block == 0 && planes != 16) side /= 2;
                int first = block == 0 ? inPlanes : planes;
                macs += ((first * planes) + (planes * planes)) * 9.0 * side * side;
            }
            inPlanes = planes;
        }
        macs += 64 * 10;
        return 2 * 3 * macs;
    }
}

sealed class Recorder : ITrainingObserver
{
    public List<double> Rates { get; } = [];
    public List<double> Rss { get; } = [];

    public void StepCompleted(StepProgress progress)
    {
    }

    public void EpochCompleted(EpochMetrics metrics, TimeSpan runRemaining)
    {
        Rates.Add(metrics.ImagesPerSecond);
        using var self = Process.GetCurrentProcess();
        Rss.Add(Math.Round(self.WorkingSet64 / 1024.0 / 1024.0, 1));
        PeakRss.Add(Math.Round(ProcessStatus.Mib("VmHWM"), 1));
        ProcessStatus.ResetPeak();
        ManagedCommitted.Add(Math.Round(GC.GetGCMemoryInfo().TotalCommittedBytes / 1024.0 / 1024.0, 1));
    }

    public void HeapReleased(int epoch, long residentBytesBefore, long residentBytesAfter) =>
        HeapReleases.Add(new Dictionary<string, double>
        {
            ["epoch"] = epoch,
            ["before_mib"] = Math.Round(residentBytesBefore / 1024.0 / 1024.0, 1),
            ["after_mib"] = Math.Round(residentBytesAfter / 1024.0 / 1024.0, 1),
        });

    /// <summary>The highest resident memory within each epoch (evaluation included), MiB: unlike <see cref="Rss"/>, not lowered by a heap release.</summary>
    public List<double> PeakRss { get; } = [];

    /// <summary>The epochs after which the trainer gave the heap's free memory back (HeapReleasePolicy), with resident memory before and after.</summary>
    public List<Dictionary<string, double>> HeapReleases { get; } = [];

    /// <summary>The .NET heap's committed memory after each epoch, MiB: the part of the resident memory that is managed.</summary>
    public List<double> ManagedCommitted { get; } = [];
}
