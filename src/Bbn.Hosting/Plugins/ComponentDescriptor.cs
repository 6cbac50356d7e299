using Bbn.Abstractions;
using Microsoft.Extensions.Configuration;

namespace Bbn.Hosting.Plugins;

/// <summary>A registered component: what it is, where it came from, and how to make it.</summary>
public sealed record ComponentDescriptor(string Kind, Type Contract, string Name, string Description, PluginInfo Plugin);

/// <summary>The assembly a component came from.</summary>
public sealed record PluginInfo(string AssemblyName, string Version, string Location);

/// <summary>
/// The keyed service registered for each component under its name: creates the component from a
/// configuration section (samplers are selected twice, from two sections).
/// </summary>
public sealed class ComponentFactory<TComponent>(ComponentDescriptor descriptor, Func<ComponentContext, TComponent> factory)
    where TComponent : class
{
    public ComponentDescriptor Descriptor { get; } = descriptor;

    public TComponent Create(ComponentContext context) => factory(context);
}
