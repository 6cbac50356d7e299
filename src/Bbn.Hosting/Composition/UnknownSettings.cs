using System.Collections;
using System.Reflection;
using Bbn.Abstractions;
using Bbn.Hosting.Plugins;
using Microsoft.Extensions.Configuration;

namespace Bbn.Hosting.Composition;

/// <summary>
/// Settings that nothing reads: a key under Bbn that is neither a setting of the host's options
/// classes nor one that the component of its section asked for (a typo such as
/// Bbn:Training:Epoch or Bbn:Los:Name). Each comes with the nearest known name.
/// </summary>
public static class UnknownSettings
{
    public const string Error = "error";
    public const string Warn = "warn";

    /// <summary>Sections read outside the options classes, whose keys are all known.</summary>
    private static readonly string[] ReadElsewhere = ["Bbn:Compare", Recipes.Setting];

    private static readonly Lazy<HashSet<string>> HostKeys = new(() =>
    {
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        Walk(BbnOptions.Section, typeof(BbnOptions), keys);
        foreach (var (section, type) in new (string, Type)[]
        {
            (PluginOptions.Section, typeof(PluginOptions)), (EvaluateOptions.Section, typeof(EvaluateOptions)), (PredictOptions.Section, typeof(PredictOptions)),
            (ExportOptions.Section, typeof(ExportOptions)), (ImportOptions.Section, typeof(ImportOptions)),
        })
            Walk(section, type, keys);
        return keys;
    });

    /// <summary>One line per unknown setting, naming it and the nearest known name.</summary>
    public static IReadOnlyList<string> Find(IConfiguration configuration, IReadOnlyDictionary<string, ComponentContext> components, RenamedSettings? renamed = null)
    {
        var slots = new[] { ComponentSlot.Dataset, ComponentSlot.Backbone, ComponentSlot.Loss, ComponentSlot.Method, ComponentSlot.BatchTransform, ComponentSlot.Optimizer }
            .Select(s => s.SectionPath).Concat(components.Keys).ToArray();
        var found = new List<string>();
        foreach (var (rawKey, value) in configuration.GetSection(BbnOptions.Section).AsEnumerable())
        {
            if (value is null) continue;
            string key = WithoutIndices(rawKey);
            if (HostKeys.Value.Contains(key) || ReadElsewhere.Any(p => key.Equals(p, StringComparison.OrdinalIgnoreCase) || Under(key, p)) || slots.Contains(key, StringComparer.OrdinalIgnoreCase)
                || RenamedSettings.IsOld(key)) continue;
            string? owner = components.Keys.Where(s => Under(key, s)).OrderByDescending(s => s.Length).FirstOrDefault();
            // A value the shim copied from a setting's old place: the old key stands for it (RenamedSettings warns about it).
            if (renamed?.Mapped.Contains(key) == true) continue;
            IEnumerable<string> candidates = HostKeys.Value;
            if (owner is not null)
            {
                var context = components[owner];
                string first = key[(owner.Length + 1)..].Split(':')[0];
                if (first.Equals("Name", StringComparison.OrdinalIgnoreCase) || context.ReadsSettingsDirectly || context.ReadKeys.Contains(first)) continue;
                candidates = context.ReadKeys.Select(k => $"{owner}:{k}").Append($"{owner}:Name");
            }
            else if (slots.Any(s => Under(key, s)))
            {
                continue; // the section of a component this run does not use: nothing reads it, by design (a compare's common settings)
            }
            string nearest = candidates.MinBy(c => Distance(key.ToUpperInvariant(), c.ToUpperInvariant())) ?? "";
            string component = owner is null ? "" : $" ({components[owner].Name} reads {(components[owner].ReadKeys.Count == 0 ? "no settings" : string.Join(", ", components[owner].ReadKeys.Order()))})";
            found.Add($"{rawKey} is not a setting anything reads{component}; did you mean {nearest}?");
        }
        return found;
    }

    private static bool Under(string key, string section) =>
        key.Length > section.Length && key.StartsWith(section, StringComparison.OrdinalIgnoreCase) && key[section.Length] == ':';

    /// <summary>Bbn:Training:LrDecayAt:0 is Bbn:Training:LrDecayAt.</summary>
    private static string WithoutIndices(string key) =>
        string.Join(':', key.Split(':').Where(part => !part.All(char.IsAsciiDigit)));

    private static void Walk(string prefix, Type type, HashSet<string> keys)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            string key = $"{prefix}:{property.Name}";
            var t = property.PropertyType;
            bool leaf = t.IsValueType || t == typeof(string) || typeof(IEnumerable).IsAssignableFrom(t);
            if (leaf) keys.Add(key);
            else Walk(key, t, keys);
        }
    }

    /// <summary>Levenshtein distance.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
