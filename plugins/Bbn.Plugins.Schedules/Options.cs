using System.ComponentModel.DataAnnotations;

namespace Bbn.Plugins.Schedules;

public sealed class FixedAlphaOptions
{
    [Range(0.0, 1.0)]
    public double Value { get; set; } = 0.5;
}

public sealed class StepScheduleOptions
{
    /// <summary>
    /// The fraction of the run after which only the re-balancing branch learns; 0.6 is the official
    /// combiner's "l = 1 if epoch &lt;= 120 else 0" of a 200-epoch run.
    /// </summary>
    [Range(0.0, 1.0)]
    public double SwitchAt { get; set; } = 0.6;

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

/// <summary>Bbn:Method:Adaptor: settings of the decaying schedules (parabolic, linear, cosine, parabolic-increment).</summary>
public sealed class DecayOptions
{
    /// <summary>
    /// Divide the progress by the official combiner's div_epoch: 100 (E div 100 + 1) for 90- and 180-epoch
    /// runs (the iNaturalist recipe: the last alpha of 180 epochs is 0.199), E otherwise. False: always E.
    /// </summary>
    public bool OfficialDivisor { get; set; } = true;
}
