using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;

namespace Bbn.Hosting.Composition;

/// <summary>The effective configuration of a section as JSON (config.json of a run).</summary>
public static class ConfigurationJson
{
    public static string Serialize(IConfigurationSection section) =>
        new JsonObject { [section.Key] = ToNode(section) }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    private static JsonNode? ToNode(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0) return section.Value is null ? null : JsonValue.Create(section.Value);
        if (children.All(c => int.TryParse(c.Key, out _)))
            return new JsonArray(children.OrderBy(c => int.Parse(c.Key, System.Globalization.CultureInfo.InvariantCulture)).Select(ToNode).ToArray());
        var node = new JsonObject();
        foreach (var child in children) node[child.Key] = ToNode(child);
        // A plain value beside children (Bbn:Method=single-branch with Bbn:Method:Adaptor:...) is the section's Name, as MethodSetting reads it.
        if (section.Value is not null && !node.ContainsKey("Name")) node["Name"] = JsonValue.Create(section.Value);
        return node;
    }
}
