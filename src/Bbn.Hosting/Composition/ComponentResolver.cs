using Bbn.Abstractions;
using Bbn.Hosting.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Bbn.Hosting.Composition;

/// <summary>
/// Creates the component configuration selects for a slot, through its keyed factory, once per
/// section and name: the validator's instance is the one the run composes (configuration is read once).
/// Also the <see cref="IComponentSource"/> through which a method asks for its own components.
/// </summary>
public sealed class ComponentResolver(IServiceProvider services, IConfiguration configuration, ComponentCatalog catalog) : IComponentSource
{
    private readonly Dictionary<(Type, string, string), object> created = [];
    private readonly Lock gate = new();
    private readonly Dictionary<string, ComponentContext> contexts = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The sections of the components created so far, with what each component read of its section.</summary>
    public IReadOnlyDictionary<string, ComponentContext> Contexts
    {
        get
        {
            lock (gate) return new Dictionary<string, ComponentContext>(contexts, StringComparer.OrdinalIgnoreCase);
        }
    }

    public TComponent Resolve<TComponent>(ComponentSlot slot, string name) where TComponent : class => Create<TComponent>(slot.SectionPath, name, name);

    /// <inheritdoc />
    public TComponent Create<TComponent>(string sectionPath, string? defaultName = null) where TComponent : class
    {
        return Create<TComponent>(sectionPath, SelectedName(sectionPath, defaultName), defaultName);
    }

    /// <summary>The name <paramref name="sectionPath"/> selects: its Name, else its plain value, else <paramref name="defaultName"/>.</summary>
    public string? SelectedName(string sectionPath, string? defaultName)
    {
        var section = configuration.GetSection(sectionPath);
        return section["Name"] ?? section.Value ?? defaultName;
    }

    private TComponent Create<TComponent>(string sectionPath, string? name, string? defaultName) where TComponent : class
    {
        string kind = ComponentKinds.Of(typeof(TComponent)) ?? typeof(TComponent).Name;
        var available = catalog.NamesOf(kind);
        string list = available.Count == 0 ? "none (no plugin provides one)" : string.Join(", ", available);
        if (string.IsNullOrWhiteSpace(name))
            throw new ComponentConfigurationException(sectionPath + ":Name", null, $"the name of a {kind}; available: {list}");
        if (catalog.Find(kind, name) is null)
            throw new ComponentConfigurationException(sectionPath + ":Name", name,
                $"a known {kind} ({list}); check the spelling, or add the plugin that provides it to Bbn:Plugins:Directories");
        lock (gate)
        {
            if (created.TryGetValue((typeof(TComponent), sectionPath, name), out var existing)) return (TComponent)existing;
            var factory = services.GetRequiredKeyedService<ComponentFactory<TComponent>>(name);
            var context = new ComponentContext(name, configuration.GetSection(sectionPath), services);
            TComponent component;
            try
            {
                component = factory.Create(context);
            }
            catch (Exception e) when (e is not ComponentConfigurationException and not ComponentFailedException)
            {
                // The factory is the plugin's code: its failure is named, with the plugin, and reported at start like a bad setting.
                var plugin = factory.Descriptor.Plugin;
                throw new ComponentFailedException(
                    $"{sectionPath}: the {kind} '{name}' of plugin {plugin.AssemblyName} ({plugin.Location}) failed to start: {e.GetType().Name}: {e.Message} Fix the plugin or choose another {kind}.", e);
            }
            created[(typeof(TComponent), sectionPath, name)] = component;
            contexts[sectionPath] = context;
            return component;
        }
    }

    internal object Resolve(ComponentSlot slot, string name)
    {
        var method = typeof(ComponentResolver).GetMethods().Single(m => m.Name == nameof(Resolve) && m.IsGenericMethod);
        try
        {
            return method.MakeGenericMethod(slot.Contract).Invoke(this, [slot, name])!;
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }
}

/// <summary>A component's factory threw: the message names the section, the component and its plugin.</summary>
public sealed class ComponentFailedException(string message, Exception inner) : Exception(message, inner);
