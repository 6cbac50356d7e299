using System.ComponentModel.DataAnnotations;
using Bbn.Abstractions;

namespace BbnPlugin;

/// <summary>Settings of the schedule, bound from Bbn:Method:Adaptor and validated at start.</summary>
public sealed class AdaptorScheduleOptions
{
    /// <summary>1 is linear; 2 is BBN's parabolic decay.</summary>
    [Range(0.1, 10.0)]
    public double Power { get; set; } = 1.0;
}

/// <summary>alpha = 1 - ((epoch - 1) / totalEpochs)^Power: 1 at the first epoch, falling towards 0.</summary>
public sealed class AdaptorSchedule(AdaptorScheduleOptions options) : IWeightSchedule
{
    public double Weight(int epoch, int totalEpochs) => 1 - Math.Pow((epoch - 1) / (double)totalEpochs, options.Power);
}
