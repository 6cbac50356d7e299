namespace Bbn.Core.Training;

/// <summary>
/// The official BBN WarmupMultiStepLR, stepped once at the start of each epoch e (from 1):
/// lr = base * warmup(e) * decay^(number of milestones &lt;= e), with
/// warmup(e) = 1/3 * (1 - e/W) + e/W for e &lt; W, else 1. Milestones are epochs.
/// </summary>
public sealed class LearningRateSchedule
{
    private const double WarmupStartFactor = 1.0 / 3;
    private readonly double baseRate;
    private readonly int warmupEpochs;
    private readonly int[] milestones;
    private readonly double decay;

    public LearningRateSchedule(double baseRate, int warmupEpochs, IEnumerable<int> milestones, double decay)
    {
        this.baseRate = baseRate;
        this.warmupEpochs = warmupEpochs;
        this.milestones = milestones.Order().ToArray();
        this.decay = decay;
    }

    /// <summary>Milestones given as fractions of the run (0.6 of 200 epochs is epoch 120).</summary>
    public static int[] MilestonesFromFractions(IEnumerable<double> fractions, int totalEpochs) =>
        fractions.Select(f => (int)Math.Round(f * totalEpochs)).ToArray();

    public double At(int epoch)
    {
        double warmup = 1;
        if (epoch < warmupEpochs)
        {
            double progress = epoch / (double)warmupEpochs;
            warmup = (WarmupStartFactor * (1 - progress)) + progress;
        }
        int decays = milestones.Count(m => m <= epoch);
        return baseRate * warmup * Math.Pow(decay, decays);
    }
}
