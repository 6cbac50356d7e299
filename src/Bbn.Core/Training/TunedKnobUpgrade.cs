using System.Text.Json.Nodes;

namespace Bbn.Core.Training;

/// <summary>
/// Checkpoints written before contracts 2.0 record BBN's tuned inference weight as <c>tuned.alpha</c>; it is the method's
/// knob now (<c>tuned.method</c>, named by the method). The one place that still knows the old field.
/// </summary>
internal static class TunedKnobUpgrade
{
    private const string OldField = "alpha";

    /// <summary>The header's JSON with an old tuned weight moved to the method's knob (the neutral 0.5 is the method's own inference: no knob).</summary>
    public static string Apply(string headerJson)
    {
        if (!headerJson.Contains($"\"{OldField}\"", StringComparison.Ordinal)) return headerJson;
        if (JsonNode.Parse(headerJson) is not JsonObject header || header["tuned"] is not JsonObject tuned || !tuned.ContainsKey(OldField)) return headerJson;
        double value = tuned[OldField]!.GetValue<double>();
        tuned.Remove(OldField);
        if (value != 0.5 && !tuned.ContainsKey("method")) tuned["method"] = new JsonObject { ["name"] = OldField, ["value"] = value };
        return header.ToJsonString();
    }
}
