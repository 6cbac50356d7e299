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
    private readonly int minWarmupSteps;

    public LearningRateSchedule(double baseRate, int warmupEpochs, IEnumerable<int> milestones, double decay)
        : this(baseRate, warmupEpochs, milestones, decay, LearningRateShape.WarmupMultiStep, 0, 0)
    {
    }

    private LearningRateSchedule(double baseRate, int warmupEpochs, IEnumerable<int> milestones, double decay, LearningRateShape shape, int epochs, int minWarmupSteps)
    {
        this.minWarmupSteps = minWarmupSteps;
        this.baseRate = baseRate;
        this.warmupEpochs = warmupEpochs;
        this.milestones = milestones.Order().ToArray();
        this.decay = decay;
        this.shape = shape;
        this.epochs = epochs;
    }

    /// <summary>The schedule of a stage of <paramref name="stageEpochs"/> epochs; a warm-up of fewer than <paramref name="minWarmupSteps"/> steps runs per step (<see cref="At(int, int, int)"/>).</summary>
    public static LearningRateSchedule For(StageOptimizer optimizer, int stageEpochs, int minWarmupSteps = 0) => new(
        optimizer.LearningRate, optimizer.WarmupEpochs, MilestonesFromFractions(optimizer.DecayAt, stageEpochs), optimizer.DecayFactor,
        optimizer.Schedule, stageEpochs, minWarmupSteps);

    /// <summary>
    /// The rate of step <paramref name="step"/> (from 0) of <paramref name="epoch"/>. Where the epoch-wise
    /// warm-up has fewer than the minimum steps (WarmupEpochs x <paramref name="stepsPerEpoch"/>), it is
    /// replaced by a linear per-step warm-up from 0 (Goyal et al. 2017) over the minimum, at most half the
    /// stage's steps; otherwise the epoch's rate, as the official per-epoch WarmupMultiStepLR.
    /// </summary>
    public double At(int epoch, int step, int stepsPerEpoch)
    {
        if (!IsShortWarmup(stepsPerEpoch)) return At(epoch);
        long warmupSteps = Math.Max(1, Math.Min(minWarmupSteps, (long)epochs * stepsPerEpoch / 2));
        long done = ((long)(epoch - 1) * stepsPerEpoch) + step + 1;
        int decays = milestones.Count(m => m <= epoch);
        return baseRate * Math.Min(1.0, done / (double)warmupSteps) * Math.Pow(decay, decays);
    }

    /// <summary>Milestones given as fractions of the run (0.6 of 200 epochs is epoch 120).</summary>
    public static int[] MilestonesFromFractions(IEnumerable<double> fractions, int totalEpochs) =>
        fractions.Select(f => (int)Math.Round(f * totalEpochs)).ToArray();

    /// <summary>Whether the epoch-wise warm-up has fewer steps than the minimum at <paramref name="stepsPerEpoch"/>, so that it runs per step.</summary>
    public bool IsShortWarmup(int stepsPerEpoch) =>
        shape == LearningRateShape.WarmupMultiStep && warmupEpochs > 0 && minWarmupSteps > 0 && (long)warmupEpochs * stepsPerEpoch < minWarmupSteps;

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
