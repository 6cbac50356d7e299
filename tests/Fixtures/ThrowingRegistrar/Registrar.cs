using Bbn.Abstractions;

namespace ThrowingRegistrar;

/// <summary>A plugin whose registrar fails: the host names it and stops, it does not crash.</summary>
public sealed class Registrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components) => throw new InvalidOperationException("the registrar's own bug");
}
