using Bbn.Abstractions;
using Bbn.Hosting.Plugins;

namespace Bbn.Hosting.Composition;

/// <summary>A place in the composition that configuration fills with a component: its kind and its section.</summary>
public sealed record ComponentSlot(string Kind, Type Contract, string SectionPath, Func<BbnOptions, string?> SelectedName)
{
    public static readonly ComponentSlot Dataset = new(ComponentKinds.Dataset, typeof(IDatasetSource), "Bbn:Dataset", o => o.Dataset.Name);
    public static readonly ComponentSlot Backbone = new(ComponentKinds.Backbone, typeof(IBackbone), "Bbn:Backbone", o => o.Backbone.Name);
    public static readonly ComponentSlot Loss = new(ComponentKinds.Loss, typeof(ILoss), "Bbn:Loss", o => o.Loss.Name);
    public static readonly ComponentSlot Method = new(ComponentKinds.Method, typeof(ITrainingMethod), MethodSetting.Section, o => o.Method.Name);
    public static readonly ComponentSlot BatchTransform = new(ComponentKinds.BatchTransform, typeof(IBatchTransform), "Bbn:BatchTransform", o => o.BatchTransform.Name);
    public static readonly ComponentSlot Optimizer = new(ComponentKinds.Optimizer, typeof(IOptimizerFactory), "Bbn:Optimizer", o => o.Optimizer.Name);

    /// <summary>Every run's slots besides the method's own: dataset, backbone, loss, optimizer.</summary>
    public static IReadOnlyList<ComponentSlot> Common => [Dataset, Backbone, Loss, Optimizer];

    /// <summary>The sampler slot of a method's branch, at the section the branch names.</summary>
    public static ComponentSlot SamplerOf(MethodBranch branch) =>
        new(ComponentKinds.Sampler, typeof(ISampler), branch.SamplerSection, o => null);
}
