using Bbn.Abstractions;
namespace Bbn.Core.Training;

/// <summary>Bbn:Training: the optimiser recipe and the run's bookkeeping. Defaults follow the official CIFAR recipe.</summary>
public sealed class TrainingOptions
{
    public const string Section = "Bbn:Training";

    [SettingRange(1, 100_000, What = "an integer")]

    public int Epochs { get; set; } = 200;
    [SettingRange(1, 65_536, What = "an integer")]
    public int BatchSize { get; set; } = 128;
    [SettingRange(1e-8, 10)]
    public double LearningRate { get; set; } = 0.1;
    [SettingRange(0, 0.999)]
    public double Momentum { get; set; } = 0.9;
    public bool Nesterov { get; set; } = true;
    [SettingRange(0, 1)]
    public double WeightDecay { get; set; } = 2e-4;
    [SettingRange(0, 100_000, What = "an integer")]
    public int WarmupEpochs { get; set; } = 5;

    /// <summary>
    /// A warm-up of fewer steps than this (WarmupEpochs x steps per epoch) is too short for BBN's first
    /// steps (docs/investigations/bbn-small-data.md): it runs per step instead, linearly from 0 over this
    /// many steps (at most half the stage), and the gradient norm is clipped at <see cref="ShortWarmupClipNorm"/>.
    /// The official recipe's warm-ups (5 epochs of 97 steps on CIFAR-10-LT) are longer and stay as they are.
    /// 0: always the official per-epoch warm-up.
    /// </summary>
    [SettingRange(0, 10_000_000, What = "an integer (0: the per-epoch warm-up only)")]
    public int MinWarmupSteps { get; set; } = 100;

    /// <summary>The gradient-norm bound of a stage whose warm-up is shorter than <see cref="MinWarmupSteps"/>, where ClipGradientNorm is 0; 0: none.</summary>
    [SettingRange(0, 1e6, What = "a norm (0: no clipping of short warm-ups)")]
    public double ShortWarmupClipNorm { get; set; } = 2;

    /// <summary>default (PyTorch's nn.Linear init, as the official code) or zero (weights and bias 0: the first logits are 0).</summary>
    [SettingOneOf]
    public ClassifierInit ClassifierInit { get; set; } = ClassifierInit.Default;

    /// <summary>
    /// Where the learning rate is multiplied by <see cref="LrDecayFactor"/>, as fractions of the run
    /// (official: epochs 120 and 160 of 200, i.e. 0.6 and 0.8, as appsettings.json sets). Empty here
    /// because the configuration binder appends bound array items to a default.
    /// </summary>
    [SettingRange(0, 1, What = "a fraction of the run")]
    public double[] LrDecayAt { get; set; } = [];

    [SettingRange(1e-6, 1)]

    public double LrDecayFactor { get; set; } = 0.01;

    /// <summary>
    /// The schedule's shape: warmup-multistep (the official BBN WarmupMultiStepLR), ldam-drw (LDAM-DRW's
    /// own: linear warm-up e/W, decays after each milestone epoch), cosine or constant.
    /// </summary>
    [SettingOneOf(LearningRateShapes.WarmupMultiStep, LearningRateShapes.LdamDrw, LearningRateShapes.Cosine, LearningRateShapes.Constant)]
    public string LrSchedule { get; set; } = LearningRateShapes.WarmupMultiStep;

    /// <summary>auto | cpu | cuda | cuda:N.</summary>
    [SettingPattern(@"^(auto|cpu|cuda(:[0-9]+)?)$", "auto, cpu, cuda or cuda:N")]
    public string Device { get; set; } = "auto";

    /// <summary>libtorch intra-op threads; 0 keeps libtorch's default.</summary>
    [SettingRange(0, 1024, What = "an integer (0: libtorch's default)")]
    public int Threads { get; set; }

    /// <summary>
    /// BBN on the CPU with two or more threads: run the two branch passes of a step at the same time,
    /// each with half the threads (same results as one after the other); false runs them in turn.
    /// </summary>
    public bool ConcurrentBranches { get; set; } = true;

    /// <summary>
    /// Free native memory stays with the process between epochs while resident memory after an epoch
    /// stays within this fraction above its level after the first two epochs; beyond it the heap is given
    /// back to the system. 0 gives it back after every epoch (the next step then faults its memory in again).
    /// </summary>
    [SettingRange(0, 10, What = "a fraction (0: give free memory back after every epoch)")]
    public double MemoryGrowthTolerance { get; set; } = 0.02;

    public int Seed { get; set; }

    /// <summary>The folder that holds run directories.</summary>
    public string OutputDirectory { get; set; } = "runs";

    /// <summary>The run directory's name under <see cref="OutputDirectory"/>; empty: a new timestamped name.</summary>
    [SettingPattern(@"^(?!\.{1,2}$)[^/\\]*$", "a folder name without path separators")]
    public string? RunName { get; set; }

    /// <summary>Continue the run <see cref="RunName"/> (or the newest run in <see cref="OutputDirectory"/>) from its checkpoint.</summary>
    public bool Resume { get; set; }

    /// <summary>The last layer: auto (the loss's preference: cosine for ldam, linear otherwise), linear or cosine.</summary>
    [SettingOneOf(Model.ClassifierHeadNames.Auto, Model.ClassifierHeadNames.Linear, Model.ClassifierHeadNames.Cosine)]
    public string Classifier { get; set; } = "auto";

    [SettingRange(0, 64, What = "an integer")]

    public int CropPadding { get; set; } = 4;
    public bool HorizontalFlip { get; set; } = true;
    [SettingRange(1, 65_536, What = "an integer")]
    public int EvaluationBatchSize { get; set; } = 500;

    /// <summary>Evaluate on the test set every this many epochs (the last epoch always).</summary>
    [SettingRange(1, 100_000, What = "an integer")]
    public int EvaluateEvery { get; set; } = 1;

    /// <summary>Classes with more training images than this are "many-shot".</summary>
    public int ManyShotThreshold { get; set; } = 100;

    /// <summary>Classes with fewer training images than this are "few-shot"; the rest are "medium".</summary>
    [SettingRange(0, int.MaxValue, What = "an integer")]
    public int FewShotThreshold { get; set; } = 20;

    /// <summary>Stop each epoch after this many steps; 0 runs every full batch. For quick checks.</summary>
    [SettingRange(0, int.MaxValue, What = "an integer (0: every full batch)")]
    public int MaxStepsPerEpoch { get; set; }

    /// <summary>Micro-batches per optimiser step: each step's batch is cut into this many parts, their gradients summed (BatchSize must divide by it).</summary>
    public int AccumulationSteps { get; set; } = 1;

    /// <summary>Clip the gradients' global L2 norm to this before each optimiser step; 0 leaves them.</summary>
    [SettingRange(0, 1e6, What = "a norm (0: no clipping)")]
    public double ClipGradientNorm { get; set; }

    /// <summary>Steps with a non-finite loss or gradient skipped (no update) before the run stops with an error; 0 stops at the first.</summary>
    [SettingRange(0, int.MaxValue, What = "an integer (0: stop at the first non-finite step)")]
    public int SkipNonFiniteSteps { get; set; }

    /// <summary>Keep an exponential moving average of the weights with this decay (0.999), evaluated and saved beside the raw weights; 0: none.</summary>
    [SettingRange(0, 0.999999, What = "a decay below 1 (0: no moving average)")]
    public double EmaDecay { get; set; }

    /// <summary>The optimiser recipe of these settings, which a method's stages start from.</summary>
    public Bbn.Abstractions.StageOptimizer Recipe() => new(LearningRate, Momentum, WeightDecay, Nesterov,
        LearningRateShapes.Parse(LrSchedule), WarmupEpochs, LrDecayAt, LrDecayFactor);

    /// <summary>Report progress within an epoch every this many steps.</summary>
    [SettingRange(1, int.MaxValue, What = "an integer")]
    public int LogEverySteps { get; set; } = 20;
}

/// <summary>Bbn:Training:ClassifierInit.</summary>
public enum ClassifierInit
{
    /// <summary>PyTorch's nn.Linear initialisation, as the official code.</summary>
    Default,

    /// <summary>Weights and bias 0: the first logits are 0 and the first loss ln C.</summary>
    Zero,
}
