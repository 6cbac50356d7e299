using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bbn.Core.Training;
using Microsoft.Extensions.Configuration;
using Bbn.Hosting.Composition;
using Bbn.Hosting.Plugins;
using Bbn.Hosting.Verbs;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>docs/configuration.md against the options classes: every setting listed with its default, nothing listed that the host does not read.</summary>
public sealed partial class ConfigurationReferenceTests
{
    private static readonly string Repo = typeof(ConfigurationReferenceTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;

    /// <summary>Every setting of the host's options classes with its default: appsettings.json's value, else the class's.</summary>
    private static Dictionary<string, string> Settings()
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        Walk(BbnOptions.Section, new BbnOptions(), settings);
        foreach (var (section, options) in new (string, object)[]
        {
            (PluginOptions.Section, new PluginOptions()), (EvaluateOptions.Section, new EvaluateOptions()), (PredictOptions.Section, new PredictOptions()),
            (ExportOptions.Section, new ExportOptions()), (ImportOptions.Section, new ImportOptions()),
        })
            Walk(section, options, settings);
        using var appsettings = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repo, "hosts", "Bbn.Trainer", "appsettings.json")));
        foreach (string key in settings.Keys.ToList())
            if (Find(appsettings.RootElement, key) is { } shipped) settings[key] = Compact(shipped.ValueKind == JsonValueKind.String ? shipped.GetString()! : shipped.GetRawText());
        // appsettings.json names the method by a plain value (Bbn:Method = bbn), which MethodSetting reads.
        var shippedConfiguration = new ConfigurationBuilder().AddJsonFile(Path.Combine(Repo, "hosts", "Bbn.Trainer", "appsettings.json")).Build();
        settings[MethodSetting.Section + ":Name"] = MethodSetting.Name(shippedConfiguration);
        return settings;
    }

    private static void Walk(string prefix, object options, Dictionary<string, string> settings)
    {
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            string key = $"{prefix}:{property.Name}";
            object? value = property.GetValue(options);
            bool leaf = property.PropertyType.IsValueType || property.PropertyType == typeof(string) || typeof(IEnumerable).IsAssignableFrom(property.PropertyType)
                || Nullable.GetUnderlyingType(property.PropertyType) is not null;
            if (leaf) settings[key] = value switch
            {
                string text => text,
                Enum member => Bbn.Abstractions.SettingNames.Spell(member.ToString()), // enums bind from their names as settings spell them
                _ => Compact(JsonSerializer.Serialize(value)),
            };
            else Walk(key, value!, settings);
        }
    }

    private static JsonElement? Find(JsonElement root, string key)
    {
        var element = root;
        foreach (string part in key.Split(':'))
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(part, out element)) return null;
        }
        return element;
    }

    private static string Compact(string text) => WhiteSpace().Replace(text, "");

    /// <summary>The reference's table rows: setting and default, from the tables of host settings (component settings are the components' own).</summary>
    private static Dictionary<string, string> Documented()
    {
        string text = File.ReadAllText(Path.Combine(Repo, "docs", "configuration.md"));
        string hostPart = text[..text.IndexOf("## Component settings", StringComparison.Ordinal)];
        return Row().Matches(hostPart).ToDictionary(m => m.Groups["key"].Value, m => Compact(m.Groups["default"].Value.Trim().Trim('`')));
    }

    [Fact]
    public void Every_setting_of_the_options_classes_is_in_the_reference_with_its_default()
    {
        var documented = Documented();
        foreach (var (key, value) in Settings())
        {
            documented.Should().ContainKey(key, "docs/configuration.md lists every setting");
            documented[key].Should().Be(value, $"the default of {key} in docs/configuration.md is the shipped one");
        }
    }

    [Fact]
    public void Every_setting_in_the_reference_is_read_by_the_host()
    {
        var known = Settings();
        // The Name of each component section, and the compare plan's keys, are read outside the options classes.
        string[] readElsewhere = ["Bbn:Compare:", "Bbn:Recipe"];
        foreach (string key in Documented().Keys)
        {
            if (readElsewhere.Any(p => key.StartsWith(p, StringComparison.Ordinal))) continue;
            known.Should().ContainKey(key, "docs/configuration.md lists only settings the host reads");
        }
    }

    [GeneratedRegex(@"^\| `(?<key>Bbn:[A-Za-z:<>]+)` \| (?<default>[^|]*) \|", RegexOptions.Multiline)]
    private static partial Regex Row();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
