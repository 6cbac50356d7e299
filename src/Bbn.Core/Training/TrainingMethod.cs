namespace Bbn.Core.Training;

/// <summary>Bbn:Method: the bilateral-branch method, or the plain single-branch baseline.</summary>
public enum TrainingMethod
{
    /// <summary>Two branches, cumulative learning (the paper).</summary>
    Bbn,

    /// <summary>The conventional branch alone: one sampler, one loss, no mixing (the CE/RS/RW baselines).</summary>
    SingleBranch,
}

public static class TrainingMethodNames
{
    public const string Bbn = "bbn";
    public const string SingleBranch = "single-branch";
    public static readonly IReadOnlyList<string> All = [Bbn, SingleBranch];

    public static bool TryParse(string? name, out TrainingMethod method)
    {
        method = name?.Trim().ToLowerInvariant() switch
        {
            Bbn => TrainingMethod.Bbn,
            SingleBranch => TrainingMethod.SingleBranch,
            _ => (TrainingMethod)(-1),
        };
        return Enum.IsDefined(method);
    }

    public static string Name(this TrainingMethod method) => method == TrainingMethod.Bbn ? Bbn : SingleBranch;
}
