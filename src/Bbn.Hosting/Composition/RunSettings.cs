using Bbn.Core.Runs;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;

namespace Bbn.Hosting.Composition;

/// <summary>
/// The settings a run was trained with, for the verbs that are given its directory or checkpoint
/// (evaluate, predict, export): the run's config.json supplies its Bbn:Dataset section (name, root, input
/// size, recipe) above appsettings.json and a recipe, below the environment and the command line.
/// </summary>
public sealed record RunSettings(string ConfigPath, IReadOnlyDictionary<string, string?> Values)
{
    /// <summary>The sections of config.json that follow the run.</summary>
    public static readonly IReadOnlyList<string> Sections = ["Bbn:Dataset"];

    /// <summary>The verb settings that name a run directory or checkpoint.</summary>
    private static readonly string[] CheckpointKeys = ["Bbn:Evaluate:Checkpoint", "Bbn:Predict:Checkpoint", "Bbn:Export:Checkpoint"];

    /// <summary>Layers the run's settings when a checkpoint setting names a run with a config.json; returns them, or null.</summary>
    public static RunSettings? Layer(IConfigurationBuilder builder, IConfiguration current)
    {
        string? given = CheckpointKeys.Select(k => current[k]).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
        if (given is null) return null;
        string? folder = Directory.Exists(given) ? given : Path.GetDirectoryName(Path.GetFullPath(given));
        if (folder is null) return null;
        string config = new RunDirectory(folder).ConfigPath;
        if (!File.Exists(config)) return null;
        Dictionary<string, string?> values;
        try
        {
            values = new ConfigurationBuilder().AddJsonFile(config, optional: false, reloadOnChange: false).Build()
                .AsEnumerable()
                .Where(e => e.Value is not null && Sections.Any(s => e.Key.StartsWith(s + ":", StringComparison.OrdinalIgnoreCase)))
                .ToDictionary(e => e.Key, e => e.Value, StringComparer.OrdinalIgnoreCase);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or FormatException)
        {
            throw new InvalidDataException($"{config} (the settings of the run given) is not valid JSON: {e.Message} Restore it, or pass the run's settings on the command line.", e);
        }
        ConfigurationLayers.InsertBelowOverrides(builder, new MemoryConfigurationSource { InitialData = values });
        return new RunSettings(config, values);
    }

    /// <summary>Where <paramref name="key"/>'s value came from, for a message about it: the run's config.json, or the configuration.</summary>
    public string Origin(string key, IConfiguration effective) =>
        Values.TryGetValue(key, out var value) && string.Equals(value, effective[key], StringComparison.Ordinal)
            ? $"read from the run's {ConfigPath}"
            : "from appsettings.json, a recipe, the environment or the command line";
}
