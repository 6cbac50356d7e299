namespace Bbn.Abstractions;

/// <summary>
/// Collects named components. The kind of a component is its contract type
/// (<see cref="IBackbone"/>, <see cref="ISampler"/>, <see cref="IWeightSchedule"/>, <see cref="ITrainingMethod"/>, <see cref="IBatchTransform"/>,
/// <see cref="ILoss"/> or <see cref="IDatasetSource"/>); names are unique within a kind.
/// </summary>
public interface IComponentRegistry
{
    /// <summary>
    /// Registers a component of kind <typeparamref name="TComponent"/> under <paramref name="name"/>.
    /// The factory runs when configuration selects the component, with that component's
    /// configuration section; it throws <see cref="ComponentConfigurationException"/> for bad settings.
    /// </summary>
    void Add<TComponent>(string name, Func<ComponentContext, TComponent> factory, string description)
        where TComponent : class;
}
