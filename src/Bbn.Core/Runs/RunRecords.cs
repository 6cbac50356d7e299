namespace Bbn.Core;

/// <summary>One line of metrics.jsonl: Epoch counts over every stage of the run; EmaTop1 is the moving average's test top-1 (Bbn:Training:EmaDecay).</summary>
public sealed record EpochMetrics(
    int Epoch, double Alpha, double Lr, double TrainLoss, double? Top1, double? Many, double? Medium, double? Few,
    double ImagesPerSecond, double EpochSeconds, int Steps, int Stage = 1, double? EmaTop1 = null);

/// <summary>summary.json: the final evaluation and the run's throughput.</summary>
public sealed record RunSummary(
    string Method,
    double Top1,
    double? Many,
    double? Medium,
    double? Few,
    double?[] PerClass,
    IReadOnlyList<string> ClassNames,
    int[] ClassCounts,
    int Epochs,
    double ImagesPerSecond,
    double TrainingSeconds,
    long TestImages,
    int ManyShotThreshold,
    int FewShotThreshold,
    string? Checkpoint,
    long[][] ConfusionMatrix,
    double ExpectedCalibrationError,
    Evaluation.ShotGroups ShotGroups,
    long SkippedImages = 0,
    double? EmaTop1 = null,
    IReadOnlyList<Training.RunWarning>? Warnings = null);

/// <summary>status.json: where a run stands, replaced atomically so another program can poll it.</summary>
public sealed record RunStatus(
    string State, int Epoch, int Step, int Epochs, double? Alpha, double? Lr, EpochMetrics? Last, double? EtaSeconds, DateTimeOffset Updated, string? Error = null)
{
    /// <summary>Signs that the run is not learning, as the log warned of them (null: none).</summary>
    public IReadOnlyList<Training.RunWarning>? Warnings { get; init; }

    public const string Running = "running";
    public const string Completed = "completed";
    public const string Stopped = "stopped";
    public const string Failed = "failed";
}
