using System.ComponentModel.DataAnnotations;

namespace Bbn.Plugins.Schedules;

public sealed class FixedAlphaOptions
{
    [Range(0.0, 1.0)]
    public double Value { get; set; } = 0.5;
}

public sealed class StepScheduleOptions
{
    /// <summary>The fraction of the run after which only the re-balancing branch learns.</summary>
    [Range(0.0, 1.0)]
    public double SwitchAt { get; set; } = 0.5;

    /// <summary>When above 0: alpha is 1 before this epoch and 0 from it on; overrides <see cref="SwitchAt"/>.</summary>
    [Range(0, 100_000)]
    public int SwitchEpoch { get; set; }
}

public sealed class BetaScheduleOptions
{
    /// <summary>a of Beta(a, a); the official default is 0.2.</summary>
    [Range(1e-3, 1e3)]
    public double Concentration { get; set; } = 0.2;
}
