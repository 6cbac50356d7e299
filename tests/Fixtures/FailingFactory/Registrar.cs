using Bbn.Abstractions;

namespace FailingFactory;

/// <summary>A plugin whose component cannot be created: the host reports it at start, naming the plugin.</summary>
public sealed class Registrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components) =>
        components.Add<IWeightSchedule>("fails-to-start", _ => throw new NullReferenceException("the factory's own bug"), "a schedule whose factory throws");
}
