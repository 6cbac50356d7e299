using Bbn.Abstractions;

namespace Bbn.Plugins.Schedules;

/// <summary>The cumulative-learning schedules of the BBN paper (section 3.3, equations and figure 4).</summary>
public sealed class SchedulesRegistrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components)
    {
        components.Add<IAdaptorSchedule>("parabolic", _ => new ParabolicDecay(), "alpha = 1 - ((e-1)/E)^2 (the paper's choice)");
        components.Add<IAdaptorSchedule>("linear", _ => new LinearDecay(), "alpha = 1 - (e-1)/E");
        components.Add<IAdaptorSchedule>("cosine", _ => new CosineDecay(), "alpha = cos((e-1)/E * pi/2)");
    }
}

public sealed class ParabolicDecay : IAdaptorSchedule
{
    public double Alpha(int epoch, int totalEpochs)
    {
        double t = Progress.Of(epoch, totalEpochs);
        return 1 - (t * t);
    }
}

public sealed class LinearDecay : IAdaptorSchedule
{
    public double Alpha(int epoch, int totalEpochs) => 1 - Progress.Of(epoch, totalEpochs);
}

public sealed class CosineDecay : IAdaptorSchedule
{
    public double Alpha(int epoch, int totalEpochs) => Math.Cos(Progress.Of(epoch, totalEpochs) * Math.PI / 2);
}

internal static class Progress
{
    /// <summary>(e - 1) / E, the fraction of training done before epoch e.</summary>
    public static double Of(int epoch, int totalEpochs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalEpochs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(epoch, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(epoch, totalEpochs);
        return (epoch - 1) / (double)totalEpochs;
    }
}
