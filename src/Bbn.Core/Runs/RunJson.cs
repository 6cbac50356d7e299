using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bbn.Core.Runs;

/// <summary>The JSON conventions of every file a run writes: snake_case names, indented files, NaN never written.</summary>
public static class RunJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.Strict,
    };

    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };
}
