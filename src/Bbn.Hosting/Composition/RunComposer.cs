using Bbn.Core.Evaluation;
using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Model;
using Bbn.Core.Training;
using Bbn.Hosting.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace Bbn.Hosting.Composition;

/// <summary>Turns the validated configuration into a training session: components, data on the device, network.</summary>
public sealed class RunComposer(IOptions<BbnOptions> options, ComponentResolver resolver, TrainerInstruments instruments, ILogger<RunComposer> logger)
{
    public ComposedRun Compose() => Compose(Bbn.Core.Distributed.SingleProcess.Instance);

    /// <summary>
    /// The run of one rank of <paramref name="group"/>: its share of the cores (or its GPU), its shard of every step.
    /// <paramref name="holdOut"/> false: the refit's composition, every image of the training subset in training and no validation split.
    /// </summary>
    public ComposedRun Compose(Bbn.Core.Distributed.IProcessGroup group, bool holdOut = true)
    {
        var o = options.Value;
        var device = group.Size == 1
            ? TorchRuntime.ResolveDevice(o.Training.Device, o.Training.Threads)
            : TorchRuntime.ResolveRankDevice(o.Training.Device, o.Training.Threads, Distributed.MpiLaunch.LocalRank, Distributed.MpiLaunch.LocalSize);
        var setup = Setup(o);
        var data = LoadTrain(device, holdOut);
        IImageSet? test = null;
        try
        {
            test = LoadTest(o.Dataset.Name!, device);
            if (!test.ClassNames.SequenceEqual(data.Train.ClassNames))
                throw new InvalidDataException(
                    $"Dataset '{o.Dataset.Name}': the test split has {test.ClassNames.Count} classes and the training split {data.Train.ClassNames.Count}, or they are named differently; both splits need the same classes.");
            var session = new TrainingSession(setup, o.Training, data.Train, test, device, Identity(o), data.Validation,
                Bbn.Core.Distributed.DataParallel.Over(group, device, o.Distributed.BucketMegabytes, o.Distributed.CheckWeightsEvery));
            return new ComposedRun(session, data.Train, test, data.Validation, device, setup.MethodName, Identity(o), data.Manifest, instruments)
            {
                HeldFromTrain = data.HeldFromTrain,
            };
        }
        catch
        {
            test?.Dispose();
            data.Dispose();
            throw;
        }
    }

    /// <summary>What a checkpoint of this configuration names: backbone, dataset, loss.</summary>
    public static RunIdentity Identity(BbnOptions o) => new(o.Backbone.Name!, o.Dataset.Name!, o.Loss.Name);

    /// <summary>The validated composition: the method, a sampler per branch, backbone, loss, batch transform, classifier, optimizer.</summary>
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
            ClassifierHeadNames.Resolve(o.Training.Classifier, loss.PreferredClassifier),
            resolver.Resolve<IOptimizerFactory>(ComponentSlot.Optimizer, o.Optimizer.Name!),
            o.Backbone.FineTuning());
    }

    /// <summary>The test split of dataset <paramref name="datasetName"/> (configured under Bbn:Dataset) on the device: all evaluate needs besides the checkpoint.</summary>
    public IImageSet LoadTest(string datasetName, Device device)
    {
        var o = options.Value;
        var dataset = resolver.Resolve<IDatasetSource>(ComponentSlot.Dataset, datasetName);
        var files = dataset.ListFiles(DatasetSplit.Test);
        if (files is not null)
        {
            var recipe = files.Recipe.Kind == ImageRecipeKind.FollowImages ? RecipeChoice.For(dataset.ListFiles(DatasetSplit.Train)!).Recipe : files.Recipe;
            return ImageFileSet.All(RecipeChoice.With(files, recipe), Decode(o));
        }
        if (dataset.ListFiles(DatasetSplit.Train) is not null)
            throw new InvalidOperationException($"Dataset '{datasetName}' lists training files but no test files.");
        using var test = dataset.Load(DatasetSplit.Test);
        return ImageSet.From(test, device);
    }

    /// <summary>
    /// The training split of Bbn:Dataset with the subset to train on and the validation split held out
    /// of it (Bbn:Validation): in-memory datasets onto the device, file datasets as file lists decoded
    /// while training. Import needs the training set alone, for the class sizes.
    /// </summary>
    public TrainingSplits LoadTrain(Device device, bool holdOut = true)
    {
        var o = options.Value;
        if (!holdOut) o = WithoutSplit(o);
        var dataset = resolver.Resolve<IDatasetSource>(ComponentSlot.Dataset, o.Dataset.Name!);
        var given = string.IsNullOrWhiteSpace(o.Dataset.Manifest) ? null : SubsetManifest.Read(Path.GetFullPath(o.Dataset.Manifest));
        var trainFiles = dataset.ListFiles(DatasetSplit.Train);
        if (trainFiles is not null)
        {
            var (recipe, why) = RecipeChoice.For(trainFiles);
            if (why is not null) ComposerLog.RecipeChosen(logger, why);
            trainFiles = RecipeChoice.With(trainFiles, recipe);
        }
        if (trainFiles is null)
        {
            using var fullTrain = dataset.Load(DatasetSplit.Train);
            string[] ids = SubsetManifest.IndexIds(fullTrain.Labels.Length);
            int[] indices = ChooseSubset(o, given, fullTrain.Labels, fullTrain.ClassNames, ids, profileByDefault: true);
            var draw = DrawValidation(o, given, fullTrain.Labels, fullTrain.ClassNames, ids, indices);
            var manifest = ManifestOf(o, fullTrain.ClassNames, fullTrain.Labels, ids, indices, draw);
            var train = ImageSet.Subset(fullTrain, draw?.Train ?? indices, device);
            var validation = draw is null ? null : ImageSet.Subset(fullTrain, draw.Validation, device);
            return new TrainingSplits(train, validation, manifest) { HeldFromTrain = draw?.HeldFromTrain.Sum() ?? 0 };
        }

        int[] labels = trainFiles.Files.Select(f => f.Label).ToArray();
        string[] fileIds = trainFiles.Files.Select(f => f.Id).ToArray();
        int[] chosen = ChooseSubset(o, given, labels, trainFiles.ClassNames, fileIds, profileByDefault: false);
        bool ownSplit = o.Validation.Split != SplitMode.None && dataset.Provides(DatasetSplit.Validation)
            && (given?.Validation is null || given.ValidationSource == ValidationDraw.DatasetSource);
        if (ownSplit)
        {
            var validationFiles = RecipeChoice.With(dataset.ListFiles(DatasetSplit.Validation)
                ?? throw new InvalidOperationException($"Dataset '{o.Dataset.Name}' says it has a validation split but lists no files for it."), trainFiles.Recipe);
            if (!validationFiles.ClassNames.SequenceEqual(trainFiles.ClassNames))
                throw new InvalidDataException($"Dataset '{o.Dataset.Name}': the validation split's classes differ from the training split's; both need the same classes.");
            string rule = $"the dataset's own validation split ({validationFiles.Files.Count} images)";
            var manifest = SubsetManifest.Of(o.Dataset.Name!, trainFiles.ClassNames, labels, fileIds, chosen)
                .WithValidation(validationFiles.Files.Select(f => f.Label).ToArray(), validationFiles.Files.Select(f => f.Id).ToArray(),
                    Enumerable.Range(0, validationFiles.Files.Count), ValidationDraw.DatasetSource, rule);
            return new TrainingSplits(new ImageFileSet(trainFiles, chosen, Decode(o)), ImageFileSet.All(validationFiles, Decode(o)), manifest);
        }
        var fileDraw = DrawValidation(o, given, labels, trainFiles.ClassNames, fileIds, chosen);
        return new TrainingSplits(
            new ImageFileSet(trainFiles, fileDraw?.Train ?? chosen, Decode(o)),
            fileDraw is null ? null : new ImageFileSet(trainFiles, fileDraw.Validation, Decode(o)),
            ManifestOf(o, trainFiles.ClassNames, labels, fileIds, chosen, fileDraw))
        {
            HeldFromTrain = fileDraw?.HeldFromTrain.Sum() ?? 0,
        };
    }

    /// <summary>The options with Bbn:Validation:Split none, for the refit; a given manifest's validation images go back into training.</summary>
    private static BbnOptions WithoutSplit(BbnOptions o)
    {
        var v = o.Validation;
        var copy = new ValidationOptions { Split = SplitMode.None, PerClass = v.PerClass, Fraction = v.Fraction, Seed = v.Seed, SelectBy = v.SelectBy, SelectRule = v.SelectRule, Refit = v.Refit };
        return new BbnOptions
        {
            Method = o.Method, BatchTransform = o.BatchTransform, Dataset = o.Dataset, Backbone = o.Backbone,
            Loss = o.Loss, Optimizer = o.Optimizer, Training = o.Training, Validation = copy, PostHoc = o.PostHoc, Distributed = o.Distributed,
            UnknownSettings = o.UnknownSettings,
        };
    }

    private static SubsetManifest ManifestOf(BbnOptions o, IReadOnlyList<string> classNames, int[] labels, string[] ids, int[] chosen, ValidationDraw? draw)
    {
        var manifest = SubsetManifest.Of(o.Dataset.Name!, classNames, labels, ids, draw?.Train ?? chosen);
        return draw is null ? manifest : manifest.WithValidation(labels, ids, draw.Validation, draw.Source, Describe(draw, labels, classNames, o.Validation));
    }

    /// <summary>
    /// The validation split out of the training split (the manifest's when it lists one): from the
    /// images the subset leaves out where it leaves some, else a stratified fraction; null for Split = none.
    /// </summary>
    private static ValidationDraw? DrawValidation(BbnOptions o, SubsetManifest? given, int[] labels, IReadOnlyList<string> classNames, string[] ids, int[] chosen)
    {
        var v = o.Validation;
        if (v.Split == SplitMode.None) return null;
        if (given?.ResolveValidation(classNames, labels, ids, Path.GetFullPath(o.Dataset.Manifest!)) is { } listed)
        {
            var held = new HashSet<int>(listed);
            int[] fromTrain = new int[classNames.Count];
            return new ValidationDraw([.. chosen.Where(i => !held.Contains(i))], listed, fromTrain, given.ValidationSource ?? ValidationDraw.LeftOut);
        }
        return chosen.Length < labels.Length
            ? ValidationSplit.FromLeftOut(labels, classNames.Count, chosen, v.PerClass, v.Fraction, v.Seed)
            : ValidationSplit.Stratified(labels, classNames.Count, chosen, v.Fraction, v.Seed);
    }

    /// <summary>The log's and the manifest's line on how the validation split was drawn.</summary>
    public static string Describe(ValidationDraw draw, int[] labels, IReadOnlyList<string> classNames, ValidationOptions v)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        string how = draw.Source == ValidationDraw.LeftOut
            ? string.Create(inv, $"up to {v.PerClass} per class from the images the training subset leaves out (Bbn:Validation:PerClass, Seed {v.Seed})")
            : string.Create(inv, $"a stratified {v.Fraction:0.###} of each class's training images (Bbn:Validation:Fraction, Seed {v.Seed})");
        var fromTrain = Enumerable.Range(0, classNames.Count).Where(c => draw.HeldFromTrain[c] > 0).ToArray();
        string taken = draw.Source == ValidationDraw.LeftOut && fromTrain.Length > 0
            ? string.Create(inv, $"; where too few were left out, out of training (at most {v.Fraction:0.###} of a class): ") + string.Join(", ", fromTrain.Select(c => $"{draw.HeldFromTrain[c]} of '{classNames[c]}'"))
            : "";
        return $"{draw.Validation.Length} images, {how}{taken}";
    }

    private DecodeOptions Decode(BbnOptions o) => new(
        o.Dataset.OnBadImage, o.Dataset.Workers, o.Dataset.Prefetch,
        (file, reason) => ComposerLog.ImageSkipped(logger, file.Path, reason));

    /// <summary>The training subset: the given manifest's, the long-tailed profile's, or every image.</summary>
    private static int[] ChooseSubset(BbnOptions o, SubsetManifest? given, int[] labels, IReadOnlyList<string> classNames, string[] ids, bool profileByDefault)
    {
        if (given is not null) return given.Resolve(classNames, labels, ids, Path.GetFullPath(o.Dataset.Manifest!));
        return o.Dataset.ApplyProfile ?? profileByDefault
            ? LongTailProfile.Select(labels, classNames.Count, o.Dataset.ImbalanceRatio, o.Dataset.SubsetSeed, o.Dataset.MaxPerClass)
            : Enumerable.Range(0, labels.Length).ToArray();
    }
}

/// <summary>The training set, the validation set held out of it (or null), and the manifest that records both.</summary>
public sealed record TrainingSplits(IImageSet Train, IImageSet? Validation, SubsetManifest Manifest) : IDisposable
{
    /// <summary>The validation images taken out of the training subset (not from images it left out, nor a dataset's own split).</summary>
    public int HeldFromTrain { get; init; }

    public void Dispose()
    {
        Train.Dispose();
        Validation?.Dispose();
    }
}

/// <summary>A composed run; owns the session and the data. <see cref="Manifest"/> records the training subset and the validation split.</summary>
public sealed record ComposedRun(TrainingSession Session, IImageSet Train, IImageSet Test, IImageSet? Validation, Device Device, string Method, RunIdentity Identity,
    SubsetManifest Manifest, TrainerInstruments Instruments) : IDisposable
{
    /// <summary>How the validation split was drawn, as the manifest records it; null without one.</summary>
    public string? ValidationRule => Manifest.ValidationRule;

    /// <summary>The validation images taken out of the training subset: what a refit gives back to training.</summary>
    public int HeldFromTrain { get; init; }

    public void Dispose()
    {
        Session.Dispose();
        Train.Dispose();
        Test.Dispose();
        Validation?.Dispose();
    }
}

internal static partial class ComposerLog
{
    [LoggerMessage(41, LogLevel.Information, "{Why}")]
    public static partial void RecipeChosen(ILogger logger, string why);

    [LoggerMessage(13, LogLevel.Warning, "Skipped image {Path}: {Reason} (Bbn:Dataset:OnBadImage = skip)")]
    public static partial void ImageSkipped(ILogger logger, string path, string reason);
}
