namespace Bbn.Core;

/// <summary>One line of metrics.jsonl.</summary>
public sealed record EpochMetrics(
    int Epoch, double Alpha, double Lr, double TrainLoss, double? Top1, double? Many, double? Medium, double? Few,
    double ImagesPerSecond, double EpochSeconds, int Steps);

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
    string? Checkpoint);
