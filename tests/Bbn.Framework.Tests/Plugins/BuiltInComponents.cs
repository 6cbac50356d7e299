using Bbn.Hosting.Composition;
using Bbn.Hosting.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Bbn.Framework.Tests;

/// <summary>
/// The built-in plugins as the kernel loads them from the test host's plugins/ folder, so that
/// component tests exercise the real discovery and keyed resolution.
/// </summary>
internal static class BuiltInComponents
{
    private static readonly Lazy<(ComponentCatalog Catalog, ServiceProvider Services)> Loaded = new(() =>
    {
        var catalog = PluginKernel.Load([PluginOptions.DefaultDirectory], AppContext.BaseDirectory);
        var services = new ServiceCollection();
        catalog.AddTo(services);
        // Methods ask for their adaptor (and stage samplers) through IComponentSource; here with every setting at its default.
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddSingleton<ComponentResolver>();
        services.AddSingleton<Bbn.Abstractions.IComponentSource>(sp => sp.GetRequiredService<ComponentResolver>());
        return (catalog, services.BuildServiceProvider());
    });

    public static ComponentCatalog Catalog => Loaded.Value.Catalog;

    public static T Create<T>(string name, Dictionary<string, string?>? settings = null) where T : class
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection((settings ?? new Dictionary<string, string?>()).Select(kv => KeyValuePair.Create("Test:Component:" + kv.Key, kv.Value)))
            .Build();
        var factory = Loaded.Value.Services.GetRequiredKeyedService<ComponentFactory<T>>(name);
        return factory.Create(new Bbn.Abstractions.ComponentContext(name, configuration.GetSection("Test:Component"), Loaded.Value.Services));
    }
}
