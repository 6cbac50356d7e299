using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Model;
using Bbn.Core.Training;
using Bbn.Hosting.Runtime;
using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace Bbn.Hosting.Composition;

/// <summary>Turns the validated configuration into a trainer: components, data on the device, network.</summary>
public sealed class RunComposer(IOptions<BbnOptions> options, ComponentResolver resolver, TrainerInstruments instruments)
{
    public ComposedRun Compose()
    {
        var o = options.Value;
        if (!TrainingMethodNames.TryParse(o.Method, out var method))
            throw new InvalidOperationException($"Bbn:Method = '{o.Method}' was not validated.");
        bool bilateral = method == TrainingMethod.Bbn;
        var device = TorchRuntime.ResolveDevice(o.Training.Device, o.Training.Threads);
        var loss = resolver.Resolve<ILoss>(ComponentSlot.Loss, o.Loss.Name!);
        var components = new TrainingComponents(
            method,
            resolver.Resolve<IBackbone>(ComponentSlot.Backbone, o.Backbone.Name!),
            resolver.Resolve<ISampler>(ComponentSlot.ConventionalSampler, o.Samplers.Conventional.Name!),
            bilateral ? resolver.Resolve<ISampler>(ComponentSlot.RebalancingSampler, o.Samplers.Rebalancing.Name!) : null,
            bilateral ? resolver.Resolve<IAdaptorSchedule>(ComponentSlot.Adaptor, o.Adaptor.Name!) : null,
            loss,
            ClassifierHeadNames.Resolve(o.Training.Classifier, loss.PreferredClassifier));
        var dataset = resolver.Resolve<IDatasetSource>(ComponentSlot.Dataset, o.Dataset.Name!);

        ImageSet train, test;
        using (var fullTrain = dataset.Load(DatasetSplit.Train))
        {
            train = ImageSet.LongTailed(fullTrain, o.Dataset.ImbalanceRatio, o.Training.Seed, device);
        }
        using (var fullTest = dataset.Load(DatasetSplit.Test))
        {
            test = ImageSet.From(fullTest, device);
        }
        var identity = new RunIdentity(o.Backbone.Name!, o.Dataset.Name!);
        var trainer = new BbnTrainer(components, o.Training, train, test, device, identity, instruments);
        return new ComposedRun(trainer, train, test, device, method, identity);
    }
}

/// <summary>A composed run; owns the trainer and the data.</summary>
public sealed record ComposedRun(BbnTrainer Trainer, ImageSet Train, ImageSet Test, Device Device, TrainingMethod Method, RunIdentity Identity) : IDisposable
{
    public void Dispose()
    {
        Trainer.Dispose();
        Train.Dispose();
        Test.Dispose();
    }
}
