using Bbn.Core.Runs;
using Bbn.Hosting.Composition;
// The file-dataset pipeline against the training step, on this machine:
//  1. writes N JPEGs (256x256, 10 classes) into a folder laid out for image-folder;
//  2. loader: the image-folder plugin's file list through ImageFileSet + StreamingBatches (all cores,
//     bounded prefetch), BBN batches of both branches at 224x224, no training: images/s delivered;
//  3. training: BBN with the given backbone fed by the same loader for a few steps (images/s, and
//     how long the step waited for data), then the same steps on in-memory tensors of the same size.
using System.Diagnostics;
using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Training;
using Bbn.Hosting.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;
using static TorchSharp.torch;

var settings = new ConfigurationBuilder().AddCommandLine(args).Build();
int imageCount = settings.GetValue("images", 2000);
int batch = settings.GetValue("batch", 32);
int trainSteps = settings.GetValue("steps", 3);
int workers = settings.GetValue("workers", 0);
string backboneName = settings.GetValue("backbone", "resnet50")!;
string folder = settings.GetValue("folder", Path.Combine(Path.GetTempPath(), "bbn-bench-images"))!;
int threads = settings.GetValue("threads", 0);
if (threads > 0) set_num_threads(threads);

Console.WriteLine($"cores {Environment.ProcessorCount}, libtorch threads {get_num_threads()}, images {imageCount}, batch {batch} per branch");
WriteImages(folder, imageCount);

var catalog = PluginKernel.Load([PluginOptions.DefaultDirectory], AppContext.BaseDirectory);
var services = new ServiceCollection();
catalog.AddTo(services);
services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
services.AddSingleton<ComponentResolver>();
services.AddSingleton<IComponentSource>(sp => sp.GetRequiredService<ComponentResolver>());
using var provider = services.BuildServiceProvider();
T Create<T>(string name, params (string Key, string Value)[] values) where T : class
{
    var section = new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create<string, string?>("C:" + v.Key, v.Value))).Build().GetSection("C");
    return provider.GetRequiredKeyedService<ComponentFactory<T>>(name).Create(new ComponentContext(name, section, provider));
}

var dataset = Create<IDatasetSource>("image-folder", ("Root", folder));
var list = dataset.ListFiles(DatasetSplit.Train)!;
var decode = new DecodeOptions(BadImagePolicy.Fail, workers, Prefetch: 4);
Console.WriteLine($"decoder workers {decode.EffectiveWorkers}, prefetch {decode.Prefetch} steps");

// 2. The loader alone: every image once per branch.
using (var train = ImageFileSet.All(list, decode))
using (var augmenter = new BatchAugmenter(train.Normalization, 3, CPU, 0, false))
using (var batches = new StreamingBatches(train, augmenter, batch, seed: 0, CPU))
{
    int[] order = Enumerable.Range(0, train.Count).OrderBy(i => (i * 7919) % train.Count).ToArray();
    int[] reversed = order.Reverse().ToArray();
    int steps = train.Count / batch;
    var watch = Stopwatch.StartNew();
    var plan = new EpochPlan(1, [order, reversed], ["augment-conventional", "augment-rebalancing"]);
    batches.BeginEpoch(plan, 0, steps);
    for (int step = 0; step < steps; step++)
    {
        using var scope = NewDisposeScope();
        batches.Take(plan, step);
    }
    double seconds = watch.Elapsed.TotalSeconds;
    Console.WriteLine($"loader: {steps} steps x 2 branches x {batch} images of 224x224 in {seconds:F1} s = {2.0 * steps * batch / seconds:F0} images/s delivered");
}

// 3. Training fed by the loader, then by in-memory tensors of the same shape.
var components = new TrainingSetup("bbn", Create<ITrainingMethod>("bbn"), Create<IBackbone>(backboneName), [Create<ISampler>("uniform"), Create<ISampler>("reversed")],
    Create<ILoss>("cross-entropy"));
// One warm-up step, then trainSteps timed steps; evaluation on 10 images.
var options = new TrainingOptions { Epochs = 1, BatchSize = batch, WarmupEpochs = 0, LrDecayAt = [], MaxStepsPerEpoch = trainSteps + 1, LogEverySteps = 1, EvaluationBatchSize = 10 };
var testList = dataset.ListFiles(DatasetSplit.Test)!;
using (var train = ImageFileSet.All(list, decode))
using (var test = new ImageFileSet(testList, Enumerable.Range(0, 10).ToArray(), decode))
{
    Measure("training fed by the image-folder loader", train, test);
}
int memoryImages = batch * (trainSteps + 1);
using (var memory = ImageSet.From(new LabelledImages(randint(0, 256, [memoryImages, 3, 224, 224], ScalarType.Byte), Enumerable.Range(0, memoryImages).Select(i => i % 10).ToArray(), list.ClassNames, list.Normalization), CPU))
using (var memoryTest = ImageSet.From(new LabelledImages(randint(0, 256, [10, 3, 224, 224], ScalarType.Byte), Enumerable.Range(0, 10).ToArray(), list.ClassNames, list.Normalization), CPU))
{
    Measure("training on in-memory uint8 tensors (no decoding)", memory, memoryTest);
}

void Measure(string what, IImageSet train, IImageSet test)
{
    using var trainer = new TrainingSession(components, options, train, test, CPU, new RunIdentity(backboneName, "bench"));
    var run = RunDirectory.ForNewRun(Path.Combine(Path.GetTempPath(), "bbn-bench-runs"), Guid.NewGuid().ToString("N"), "bench", DateTimeOffset.UtcNow);
    var observer = new StepClock();
    TrainingLoop.Run(trainer, run, TrainingPosition.Start, observer, CancellationToken.None);
    Directory.Delete(run.Path, recursive: true);
    double seconds = (observer.Times[^1] - observer.Times[0]).TotalSeconds; // from the end of the warm-up step
    Console.WriteLine($"{what}: {backboneName}, {trainSteps} steps in {seconds:F1} s = {2.0 * trainSteps * batch / seconds:F1} images/s consumed (both branches)");
}

static void WriteImages(string folder, int count)
{
    string marker = Path.Combine(folder, $".complete-{count}");
    if (File.Exists(marker)) return;
    if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    var watch = Stopwatch.StartNew();
    Parallel.For(0, count, i =>
    {
        int c = i % 10;
        var random = new Random(i);
        using var bitmap = new SKBitmap(256, 256, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = bitmap.GetPixelSpan();
        for (int y = 0; y < 256; y++)
        {
            for (int x = 0; x < 256; x++)
            {
                int o = ((y * 256) + x) * 4;
                pixels[o] = (byte)((x + (c * 25) + random.Next(32)) & 255);
                pixels[o + 1] = (byte)((y + random.Next(32)) & 255);
                pixels[o + 2] = (byte)(((x ^ y) + (c * 40)) & 255);
                pixels[o + 3] = 255;
            }
        }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
        byte[] jpeg = data.ToArray();
        Save(Path.Combine(folder, "train", $"class-{c}", $"{i:D5}.jpg"), jpeg);
        if (i < 20) Save(Path.Combine(folder, "test", $"class-{c}", $"{i:D5}.jpg"), jpeg);
    });
    File.WriteAllText(marker, "");

    static void Save(string path, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }
    Console.WriteLine($"wrote {count} JPEGs of 256x256 into {folder} in {watch.Elapsed.TotalSeconds:F1} s");
}

/// <summary>Records when each step ended.</summary>
internal sealed class StepClock : ITrainingObserver
{
    private readonly Stopwatch clock = Stopwatch.StartNew();
    public List<TimeSpan> Times { get; } = [];
    public void StepCompleted(StepProgress progress) => Times.Add(clock.Elapsed);
    public void EpochCompleted(EpochMetrics metrics, TimeSpan runRemaining) { }
}
