using Bbn.Abstractions;

namespace Bbn.Core.Training;

/// <summary>
/// A stage's learning rate per epoch e (from 1), set at the start of each epoch. The official BBN
/// WarmupMultiStepLR: lr = base * warmup(e) * decay^(number of milestones &lt;= e), with
/// warmup(e) = 1/3 * (1 - e/W) + e/W for e &lt; W, else 1; cosine: base * (1 + cos(pi (e-1) / E)) / 2.
/// </summary>
public sealed class LearningRateSchedule
{
    private const double WarmupStartFactor = 1.0 / 3;
    private readonly double baseRate;
    private readonly int warmupEpochs;
    private readonly int[] milestones;
    private readonly double decay;
    private readonly LearningRateShape shape;
    private readonly int epochs;

    public LearningRateSchedule(double baseRate, int warmupEpochs, IEnumerable<int> milestones, double decay)
        : this(baseRate, warmupEpochs, milestones, decay, LearningRateShape.WarmupMultiStep, 0)
    {
    }

    private LearningRateSchedule(double baseRate, int warmupEpochs, IEnumerable<int> milestones, double decay, LearningRateShape shape, int epochs)
    {
        this.baseRate = baseRate;
        this.warmupEpochs = warmupEpochs;
        this.milestones = milestones.Order().ToArray();
        this.decay = decay;
        this.shape = shape;
        this.epochs = epochs;
    }

    /// <summary>The schedule of a stage of <paramref name="stageEpochs"/> epochs.</summary>
    public static LearningRateSchedule For(StageOptimizer optimizer, int stageEpochs) => new(
        optimizer.LearningRate, optimizer.WarmupEpochs, MilestonesFromFractions(optimizer.DecayAt, stageEpochs), optimizer.DecayFactor,
        optimizer.Schedule, stageEpochs);

    /// <summary>Milestones given as fractions of the run (0.6 of 200 epochs is epoch 120).</summary>
    public static int[] MilestonesFromFractions(IEnumerable<double> fractions, int totalEpochs) =>
        fractions.Select(f => (int)Math.Round(f * totalEpochs)).ToArray();

    public double At(int epoch)
    {
        if (shape == LearningRateShape.Constant) return baseRate;
        if (shape == LearningRateShape.Cosine) return baseRate * (1 + Math.Cos(Math.PI * (epoch - 1) / Math.Max(1, epochs))) / 2;
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
