using Bbn.Abstractions;

namespace Bbn.Hosting.Plugins;

/// <summary>The component kinds of the contracts, by the word used in messages and listings.</summary>
public static class ComponentKinds
{
    public const string Backbone = "backbone";
    public const string Sampler = "sampler";
    public const string Adaptor = "adaptor";
    public const string Loss = "loss";
    public const string Dataset = "dataset";
    public const string Method = "method";
    public const string BatchTransform = "batch-transform";
    public const string Optimizer = "optimizer";

    private static readonly Dictionary<Type, string> ByContract = new()
    {
        [typeof(IBackbone)] = Backbone,
        [typeof(ISampler)] = Sampler,
        [typeof(IWeightSchedule)] = Adaptor,
        [typeof(ILoss)] = Loss,
        [typeof(IDatasetSource)] = Dataset,
        [typeof(ITrainingMethod)] = Method,
        [typeof(IBatchTransform)] = BatchTransform,
        [typeof(IOptimizerFactory)] = Optimizer,
    };

    public static string? Of(Type contract) => ByContract.GetValueOrDefault(contract);
}
