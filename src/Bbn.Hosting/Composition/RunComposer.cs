using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Model;
using Bbn.Core.Training;
using Bbn.Hosting.Runtime;
using Bbn.Hosting.Verbs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace Bbn.Hosting.Composition;

/// <summary>Turns the validated configuration into a training session: components, data on the device, network.</summary>
public sealed class RunComposer(IOptions<BbnOptions> options, ComponentResolver resolver, TrainerInstruments instruments, ILogger<RunComposer> logger)
{
    public ComposedRun Compose()
    {
        var o = options.Value;
        var device = TorchRuntime.ResolveDevice(o.Training.Device, o.Training.Threads);
        var setup = Setup(o);
        var dataset = resolver.Resolve<IDatasetSource>(ComponentSlot.Dataset, o.Dataset.Name!);

        var (train, test, manifest) = LoadData(dataset, o, device);
        var identity = new RunIdentity(o.Backbone.Name!, o.Dataset.Name!, o.Loss.Name);
        var session = new TrainingSession(setup, o.Training, train, test, device, identity);
        return new ComposedRun(session, train, test, device, setup.MethodName, identity, manifest, instruments);
    }

    /// <summary>The validated composition: the method, a sampler per branch, backbone, loss, batch transform, classifier.</summary>
    public TrainingSetup Setup(BbnOptions o)
    {
        string methodName = o.Method.Name!;
        var method = resolver.Resolve<ITrainingMethod>(ComponentSlot.Method, methodName);
        var loss = resolver.Resolve<ILoss>(ComponentSlot.Loss, o.Loss.Name!);
        return new TrainingSetup(
            methodName,
            method,
            resolver.Resolve<IBackbone>(ComponentSlot.Backbone, o.Backbone.Name!),
            method.Branches.Select(b => resolver.Create<ISampler>(b.SamplerSection, b.DefaultSampler)).ToArray(),
            loss,
            string.IsNullOrWhiteSpace(o.BatchTransform.Name) ? null : resolver.Resolve<IBatchTransform>(ComponentSlot.BatchTransform, o.BatchTransform.Name),
            ClassifierHeadNames.Resolve(o.Training.Classifier, loss.PreferredClassifier));
    }

    /// <summary>The test split of dataset <paramref name="datasetName"/> (configured under Bbn:Dataset) on the device: all evaluate needs besides the checkpoint.</summary>
    public IImageSet LoadTest(string datasetName, Device device)
    {
        var o = options.Value;
        var dataset = resolver.Resolve<IDatasetSource>(ComponentSlot.Dataset, datasetName);
        var files = dataset.ListFiles(DatasetSplit.Test);
        if (files is not null)
            return ImageFileSet.All(files, new DecodeOptions(o.Dataset.OnBadImage == "skip" ? BadImagePolicy.Skip : BadImagePolicy.Fail, o.Dataset.Workers, o.Dataset.Prefetch,
                (file, reason) => TrainLog.ImageSkipped(logger, file.Path, reason)));
        using var test = dataset.Load(DatasetSplit.Test);
        return ImageSet.From(test, device);
    }

    /// <summary>In-memory datasets onto the device; file datasets as file lists decoded while training.</summary>
    private (IImageSet Train, IImageSet Test, SubsetManifest Manifest) LoadData(IDatasetSource dataset, BbnOptions o, Device device)
    {
        var trainFiles = dataset.ListFiles(DatasetSplit.Train);
        if (trainFiles is null)
        {
            ImageSet train;
            SubsetManifest manifest;
            using (var fullTrain = dataset.Load(DatasetSplit.Train))
            {
                string[] ids = SubsetManifest.IndexIds(fullTrain.Labels.Length);
                int[] indices = ChooseSubset(o, fullTrain.Labels, fullTrain.ClassNames, ids, profileByDefault: true);
                train = ImageSet.Subset(fullTrain, indices, device);
                manifest = SubsetManifest.Of(o.Dataset.Name!, fullTrain.ClassNames, fullTrain.Labels, ids, indices);
            }
            using var fullTest = dataset.Load(DatasetSplit.Test);
            return (train, ImageSet.From(fullTest, device), manifest);
        }

        var testFiles = dataset.ListFiles(DatasetSplit.Test)
            ?? throw new InvalidOperationException($"Dataset '{o.Dataset.Name}' lists training files but no test files.");
        if (!testFiles.ClassNames.SequenceEqual(trainFiles.ClassNames))
            throw new InvalidDataException(
                $"Dataset '{o.Dataset.Name}': the test split has {testFiles.ClassNames.Count} classes and the training split {trainFiles.ClassNames.Count}, or they are named differently; both splits need the same classes.");
        var decode = new DecodeOptions(
            o.Dataset.OnBadImage == "skip" ? BadImagePolicy.Skip : BadImagePolicy.Fail, o.Dataset.Workers, o.Dataset.Prefetch,
            (file, reason) => TrainLog.ImageSkipped(logger, file.Path, reason));
        int[] labels = trainFiles.Files.Select(f => f.Label).ToArray();
        string[] fileIds = trainFiles.Files.Select(f => f.Id).ToArray();
        int[] chosen = ChooseSubset(o, labels, trainFiles.ClassNames, fileIds, profileByDefault: false);
        return (new ImageFileSet(trainFiles, chosen, decode), ImageFileSet.All(testFiles, decode),
            SubsetManifest.Of(o.Dataset.Name!, trainFiles.ClassNames, labels, fileIds, chosen));
    }

    /// <summary>The training subset: the given manifest's, the long-tailed profile's, or every image.</summary>
    private static int[] ChooseSubset(BbnOptions o, int[] labels, IReadOnlyList<string> classNames, string[] ids, bool profileByDefault)
    {
        if (!string.IsNullOrWhiteSpace(o.Dataset.Manifest))
        {
            string path = Path.GetFullPath(o.Dataset.Manifest);
            return SubsetManifest.Read(path).Resolve(classNames, labels, ids, path);
        }
        return o.Dataset.ApplyProfile ?? profileByDefault
            ? LongTailProfile.Select(labels, classNames.Count, o.Dataset.ImbalanceRatio, o.Training.Seed)
            : Enumerable.Range(0, labels.Length).ToArray();
    }
}

/// <summary>A composed run; owns the session and the data. <see cref="Manifest"/> records the training subset.</summary>
public sealed record ComposedRun(TrainingSession Session, IImageSet Train, IImageSet Test, Device Device, string Method, RunIdentity Identity, SubsetManifest Manifest,
    TrainerInstruments Instruments) : IDisposable
{
    public void Dispose()
    {
        Session.Dispose();
        Train.Dispose();
        Test.Dispose();
    }
}
