using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace Bbn.Hosting.Composition;

/// <summary>Where a layer of settings goes between the JSON files and the overrides (a recipe, a run's own settings).</summary>
internal static class ConfigurationLayers
{
    /// <summary>
    /// Inserts <paramref name="source"/> just above the last file source and below the environment and the command
    /// line. The host adds DOTNET_ variables before appsettings.json, so the place is after the last file.
    /// </summary>
    public static void InsertBelowOverrides(IConfigurationBuilder builder, IConfigurationSource source)
    {
        var sources = builder.Sources.ToList();
        int lastFile = sources.FindLastIndex(s => s is FileConfigurationSource);
        int firstOverride = sources.FindIndex(lastFile + 1, s => s is EnvironmentVariablesConfigurationSource or CommandLineConfigurationSource);
        builder.Sources.Insert(firstOverride < 0 ? builder.Sources.Count : firstOverride, source);
    }
}
