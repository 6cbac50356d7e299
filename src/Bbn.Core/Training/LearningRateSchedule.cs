using Bbn.Abstractions;

namespace Bbn.Core.Training;

/// <summary>
/// A stage's learning rate per epoch e (from 1), set at the start of each epoch. The official BBN
/// WarmupMultiStepLR: lr = base * warmup(e) * decay^(number of milestones &lt;= e), with
/// warmup(e) = 1/3 * (1 - e/W) + e/W for e &lt; W, else 1; LDAM-DRW's: base * min(1, e/W) *
/// decay^(number of milestones &lt; e); cosine: base * (1 + cos(pi (e-1) / E)) / 2.
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
    private ILearningRateShape? custom;

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
    /// <remarks>A stage's own <paramref name="shape"/> replaces the named one and gives the rate of every step.</remarks>
    public static LearningRateSchedule For(StageOptimizer optimizer, int stageEpochs, int minWarmupSteps = 0, ILearningRateShape? shape = null) => new(
        optimizer.LearningRate, optimizer.WarmupEpochs, MilestonesFromFractions(optimizer.DecayAt, stageEpochs, optimizer.WarmupEpochs), optimizer.DecayFactor,
        optimizer.Schedule, stageEpochs, minWarmupSteps)
    { custom = shape };

    /// <summary>
    /// The rate of step <paramref name="step"/> (from 0) of <paramref name="epoch"/>. Where the epoch-wise
    /// warm-up has fewer than the minimum steps (WarmupEpochs x <paramref name="stepsPerEpoch"/>), it is
    /// replaced by a linear per-step warm-up from 0 (Goyal et al. 2017) over the minimum, at most half the
    /// stage's steps; otherwise the epoch's rate, as the official per-epoch WarmupMultiStepLR.
    /// </summary>
    public double At(int epoch, int step, int stepsPerEpoch)
    {
        if (custom is not null) return custom.Rate(baseRate, new RatePosition(epoch, step, stepsPerEpoch, epochs));
        if (!IsShortWarmup(stepsPerEpoch)) return At(epoch);
        long warmupSteps = Math.Max(1, Math.Min(minWarmupSteps, (long)epochs * stepsPerEpoch / 2));
        long done = ((long)(epoch - 1) * stepsPerEpoch) + step + 1;
        return baseRate * Math.Min(1.0, done / (double)warmupSteps) * Math.Pow(decay, DecaysAt(epoch));
    }

    /// <summary>
    /// Milestones given as fractions of the run (0.6 of 200 epochs is epoch 120). None falls on the first
    /// epoch or inside the warm-up: a milestone before max(2, W) moves there, and one past the run is
    /// dropped, so that a 1- or 2-epoch run trains at the base rate instead of base x decay^2 from its first step.
    /// </summary>
    public static int[] MilestonesFromFractions(IEnumerable<double> fractions, int totalEpochs, int warmupEpochs = 0)
    {
        int earliest = Math.Max(2, warmupEpochs);
        return fractions.Select(f => Math.Max(earliest, (int)Math.Round(f * totalEpochs))).Where(m => m <= totalEpochs).ToArray();
    }

    private int DecaysAt(int epoch) => shape == LearningRateShape.LinearWarmupMultiStep
        ? milestones.Count(m => m < epoch)
        : milestones.Count(m => m <= epoch);

    /// <summary>Whether the epoch-wise warm-up has fewer steps than the minimum at <paramref name="stepsPerEpoch"/>, so that it runs per step.</summary>
    public bool IsShortWarmup(int stepsPerEpoch) =>
        custom is null && shape == LearningRateShape.WarmupMultiStep && warmupEpochs > 0 && minWarmupSteps > 0 && (long)warmupEpochs * stepsPerEpoch < minWarmupSteps;

    public double At(int epoch)
    {
        if (custom is not null) return custom.Rate(baseRate, new RatePosition(epoch, 0, 1, epochs));
        if (shape == LearningRateShape.Constant) return baseRate;
        if (shape == LearningRateShape.Cosine) return baseRate * (1 + Math.Cos(Math.PI * (epoch - 1) / Math.Max(1, epochs))) / 2;
        if (shape == LearningRateShape.LinearWarmupMultiStep)
            return baseRate * (epoch <= warmupEpochs ? epoch / (double)warmupEpochs : 1) * Math.Pow(decay, DecaysAt(epoch));
        double warmup = 1;
        if (epoch < warmupEpochs)
        {
            double progress = epoch / (double)warmupEpochs;
            warmup = (WarmupStartFactor * (1 - progress)) + progress;
        }
        return baseRate * warmup * Math.Pow(decay, DecaysAt(epoch));
    }
}

/// <summary>The names of <see cref="LearningRateShape"/> in Bbn:Training:LrSchedule.</summary>
public static class LearningRateShapes
{
    public const string WarmupMultiStep = "warmup-multistep";
    public const string LdamDrw = "ldam-drw";
    public const string Cosine = "cosine";
    public const string Constant = "constant";

    public static IReadOnlyList<string> All { get; } = [WarmupMultiStep, LdamDrw, Cosine, Constant];

    public static bool IsValid(string? name) => name is not null && All.Contains(name);

    public static LearningRateShape Parse(string name) => name switch
    {
        WarmupMultiStep => LearningRateShape.WarmupMultiStep,
        LdamDrw => LearningRateShape.LinearWarmupMultiStep,
        Cosine => LearningRateShape.Cosine,
        Constant => LearningRateShape.Constant,
        _ => throw new ArgumentException($"Bbn:Training:LrSchedule = '{name}' is not a schedule: expected {string.Join(", ", All)}.", nameof(name)),
    };
}
