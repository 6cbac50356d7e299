using Bbn.Abstractions;

namespace Bbn.Plugins.Schedules;

/// <summary>
/// The cumulative-learning schedules: the BBN paper's (section 3.3 and its ablation, table 4) and
/// every variant of the official combiner (lib/core/combiner.py: parabolic_decay,
/// parabolic_increment, linear, cosine, step, fixed, beta).
/// </summary>
public sealed class SchedulesRegistrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components)
    {
        components.Add<IWeightSchedule>("parabolic", c => new ParabolicDecay(c.Bind<DecayOptions>()), "alpha = 1 - ((e-1)/D)^2 (the paper's choice; D = E, or 100 (E div 100 + 1) at 90 and 180 epochs as the official code)");
        components.Add<IWeightSchedule>("linear", c => new LinearDecay(c.Bind<DecayOptions>()), "alpha = 1 - (e-1)/D");
        components.Add<IWeightSchedule>("cosine", c => new CosineDecay(c.Bind<DecayOptions>()), "alpha = cos((e-1)/D * pi/2)");
        components.Add<IWeightSchedule>("parabolic-increment", c => new ParabolicIncrement(c.Bind<DecayOptions>()), "alpha = ((e-1)/D)^2 (re-balancing first)");
        components.Add<IWeightSchedule>("fixed", c => new FixedAlpha(c.Bind<FixedAlphaOptions>().Value), "alpha = Value for every step (default 0.5)");
        components.Add<IWeightSchedule>("step", c => new StepSchedule(c.Bind<StepScheduleOptions>()), "alpha = 1 before epoch SwitchEpoch (or while (e-1)/E < SwitchAt), then 0: the paper's separated stages");
        components.Add<IWeightSchedule>("beta", c => new BetaSchedule(c.Bind<BetaScheduleOptions>().Concentration), "alpha drawn per step from Beta(a, a), a = Concentration (default 0.2)");
    }
}

public sealed class ParabolicDecay(DecayOptions options) : IWeightSchedule
{
    public double Weight(int epoch, int totalEpochs)
    {
        double t = Progress.Decay(epoch, totalEpochs, options);
        return 1 - (t * t);
    }
}

public sealed class LinearDecay(DecayOptions options) : IWeightSchedule
{
    public double Weight(int epoch, int totalEpochs) => 1 - Progress.Decay(epoch, totalEpochs, options);
}

public sealed class CosineDecay(DecayOptions options) : IWeightSchedule
{
    public double Weight(int epoch, int totalEpochs) => Math.Cos(Progress.Decay(epoch, totalEpochs, options) * Math.PI / 2);
}

public sealed class ParabolicIncrement(DecayOptions options) : IWeightSchedule
{
    public double Weight(int epoch, int totalEpochs)
    {
        double t = Progress.Decay(epoch, totalEpochs, options);
        return t * t;
    }
}

public sealed class FixedAlpha(double value) : IWeightSchedule
{
    public double Weight(int epoch, int totalEpochs)
    {
        Progress.Of(epoch, totalEpochs);
        return value;
    }
}

public sealed class StepSchedule(StepScheduleOptions options) : IWeightSchedule
{
    public double Weight(int epoch, int totalEpochs)
    {
        double progress = Progress.Of(epoch, totalEpochs);
        bool conventional = options.SwitchEpoch > 0 ? epoch < options.SwitchEpoch : progress < options.SwitchAt;
        return conventional ? 1 : 0;
    }
}

/// <summary>alpha ~ Beta(a, a) per step; the epoch-level value is the distribution's mean, 0.5.</summary>
public sealed class BetaSchedule(double concentration) : IWeightSchedule
{
    public double Weight(int epoch, int totalEpochs)
    {
        Progress.Of(epoch, totalEpochs);
        return 0.5;
    }

    public double Weight(ScheduleStep position)
    {
        Progress.Of(position.Epoch, position.TotalEpochs);
        double x = GammaSampler.Sample(concentration, position.Random);
        double y = GammaSampler.Sample(concentration, position.Random);
        return x + y == 0 ? 0.5 : x / (x + y);
    }
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

    /// <summary>(e - 1) / D with the official combiner's div_epoch D (lib/core/combiner.py) where the options ask for it.</summary>
    public static double Decay(int epoch, int totalEpochs, DecayOptions options)
    {
        double t = Of(epoch, totalEpochs);
        int divisor = options.OfficialDivisor ? OfficialDivisor(totalEpochs) : totalEpochs;
        return divisor == totalEpochs ? t : (epoch - 1) / (double)divisor;
    }

    /// <summary>div_epoch = 100 (E div 100 + 1) when E is 90 or 180, else E.</summary>
    public static int OfficialDivisor(int totalEpochs) => totalEpochs is 90 or 180 ? 100 * ((totalEpochs / 100) + 1) : totalEpochs;
}

/// <summary>Gamma(shape, 1) by Marsaglia and Tsang (2000), with the shape &lt; 1 boost U^(1/shape).</summary>
internal static class GammaSampler
{
    public static double Sample(double shape, Random random)
    {
        if (shape < 1)
            return Sample(shape + 1, random) * Math.Pow(1 - random.NextDouble(), 1 / shape);
        double d = shape - (1.0 / 3), c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = Normal(random);
                v = 1 + (c * x);
            }
            while (v <= 0);
            v = v * v * v;
            double u = 1 - random.NextDouble();
            if (Math.Log(u) < (0.5 * x * x) + d - (d * v) + (d * Math.Log(v))) return d * v;
        }
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
