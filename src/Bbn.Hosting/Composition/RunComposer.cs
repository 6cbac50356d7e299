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
        var (train, manifest) = LoadTrain(device);
        IImageSet? test = null;
        try
        {
            test = LoadTest(o.Dataset.Name!, device);
            if (!test.ClassNames.SequenceEqual(train.ClassNames))
                throw new InvalidDataException(
                    $"Dataset '{o.Dataset.Name}': the test split has {test.ClassNames.Count} classes and the training split {train.ClassNames.Count}, or they are named differently; both splits need the same classes.");
            var session = new TrainingSession(setup, o.Training, train, test, device, Identity(o));
            return new ComposedRun(session, train, test, device, setup.MethodName, Identity(o), manifest, instruments);
        }
        catch
        {
            test?.Dispose();
            train.Dispose();
            throw;
        }
    }

    /// <summary>What a checkpoint of this configuration names: backbone, dataset, loss.</summary>
    public static RunIdentity Identity(BbnOptions o) => new(o.Backbone.Name!, o.Dataset.Name!, o.Loss.Name);

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
        if (files is not null) return ImageFileSet.All(files, Decode(o));
        if (dataset.ListFiles(DatasetSplit.Train) is not null)
            throw new InvalidOperationException($"Dataset '{datasetName}' lists training files but no test files.");
        using var test = dataset.Load(DatasetSplit.Test);
        return ImageSet.From(test, device);
    }

    /// <summary>
    /// The training split of Bbn:Dataset with the subset to train on: in-memory datasets onto the device,
    /// file datasets as file lists decoded while training. Import needs it alone, for the class sizes.
    /// </summary>
    public (IImageSet Train, SubsetManifest Manifest) LoadTrain(Device device)
    {
        var o = options.Value;
        var dataset = resolver.Resolve<IDatasetSource>(ComponentSlot.Dataset, o.Dataset.Name!);
        var trainFiles = dataset.ListFiles(DatasetSplit.Train);
        if (trainFiles is null)
        {
            using var fullTrain = dataset.Load(DatasetSplit.Train);
            string[] ids = SubsetManifest.IndexIds(fullTrain.Labels.Length);
            int[] indices = ChooseSubset(o, fullTrain.Labels, fullTrain.ClassNames, ids, profileByDefault: true);
            return (ImageSet.Subset(fullTrain, indices, device), SubsetManifest.Of(o.Dataset.Name!, fullTrain.ClassNames, fullTrain.Labels, ids, indices));
        }

        int[] labels = trainFiles.Files.Select(f => f.Label).ToArray();
        string[] fileIds = trainFiles.Files.Select(f => f.Id).ToArray();
        int[] chosen = ChooseSubset(o, labels, trainFiles.ClassNames, fileIds, profileByDefault: false);
        return (new ImageFileSet(trainFiles, chosen, Decode(o)), SubsetManifest.Of(o.Dataset.Name!, trainFiles.ClassNames, labels, fileIds, chosen));
    }

    private DecodeOptions Decode(BbnOptions o) => new(
        o.Dataset.OnBadImage == "skip" ? BadImagePolicy.Skip : BadImagePolicy.Fail, o.Dataset.Workers, o.Dataset.Prefetch,
        (file, reason) => TrainLog.ImageSkipped(logger, file.Path, reason));

    /// <summary>The training subset: the given manifest's, the long-tailed profile's, or every image.</summary>
    private static int[] ChooseSubset(BbnOptions o, int[] labels, IReadOnlyList<string> classNames, string[] ids, bool profileByDefault)
    {
        if (!string.IsNullOrWhiteSpace(o.Dataset.Manifest))
        {
            string path = Path.GetFullPath(o.Dataset.Manifest);
            return SubsetManifest.Read(path).Resolve(classNames, labels, ids, path);
        }
        return o.Dataset.ApplyProfile ?? profileByDefault
            ? LongTailProfile.Select(labels, classNames.Count, o.Dataset.ImbalanceRatio, o.Dataset.SubsetSeed, o.Dataset.MaxPerClass)
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
