using Bbn.Abstractions;
using Microsoft.Extensions.DependencyInjection;

namespace Bbn.Hosting.Plugins;

/// <summary>Every component the plugins registered, unique per kind and name.</summary>
public sealed class ComponentCatalog
{
    private readonly Dictionary<(string Kind, string Name), ComponentDescriptor> components = [];
    private readonly List<Action<IServiceCollection>> registrations = [];

    public IReadOnlyCollection<ComponentDescriptor> Components => components.Values;

    public IReadOnlyList<string> NamesOf(string kind) =>
        components.Values.Where(c => c.Kind == kind).Select(c => c.Name).Order(StringComparer.Ordinal).ToList();

    public ComponentDescriptor? Find(string kind, string name) => components.GetValueOrDefault((kind, name));

    /// <summary>Registers each component as a keyed <see cref="ComponentFactory{TComponent}"/> under its name.</summary>
    public void AddTo(IServiceCollection services)
    {
        services.AddSingleton(this);
        foreach (var register in registrations) register(services);
    }

    /// <summary>The registry handed to one plugin's registrars.</summary>
    internal IComponentRegistry RegistryFor(PluginInfo plugin) => new Registry(this, plugin);

    private sealed class Registry(ComponentCatalog catalog, PluginInfo plugin) : IComponentRegistry
    {
        public void Add<TComponent>(string name, Func<ComponentContext, TComponent> factory, string description)
            where TComponent : class
        {
            string kind = ComponentKinds.Of(typeof(TComponent)) ?? throw new PluginLoadException(
                $"Plugin {plugin.AssemblyName} ({plugin.Location}) registers '{name}' as {typeof(TComponent).FullName}, which is not a component contract. " +
                "Register it as IBackbone, ISampler, IWeightSchedule, ILoss, IDatasetSource, ITrainingMethod, IBatchTransform or IOptimizerFactory.");
            if (string.IsNullOrWhiteSpace(name) || name.Trim() != name)
                throw new PluginLoadException($"Plugin {plugin.AssemblyName} ({plugin.Location}) registers a {kind} with the name '{name}': names must be non-empty and have no surrounding spaces.");
            if (catalog.components.TryGetValue((kind, name), out var existing))
                throw new PluginLoadException(
                    $"Two plugins register the {kind} '{name}': {existing.Plugin.AssemblyName} ({existing.Plugin.Location}) and " +
                    $"{plugin.AssemblyName} ({plugin.Location}). Remove one of the two assemblies from the plugin directories, or rename the component in one of them.");
            var descriptor = new ComponentDescriptor(kind, typeof(TComponent), name, description, plugin);
            catalog.components.Add((kind, name), descriptor);
            catalog.registrations.Add(services => services.AddKeyedSingleton(name, new ComponentFactory<TComponent>(descriptor, factory)));
        }
    }
}
