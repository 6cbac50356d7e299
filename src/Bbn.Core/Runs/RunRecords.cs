namespace Bbn.Core.Runs;

/// <summary>
/// One line of metrics.jsonl: Epoch counts over every stage of the run; EmaTop1 is the moving average's test top-1
/// (Bbn:Training:EmaDecay); Method holds what the method reports of its own by name (BBN: its adaptor's weight), or null;
/// ValidationStandardError is the validation score's (what Bbn:Validation:SelectRule = one-standard-error allows for).
/// </summary>
public sealed record EpochMetrics(
    int Epoch, double Lr, double TrainLoss, double? Top1, double? Many, double? Medium, double? Few,
    double ImagesPerSecond, double EpochSeconds, int Steps, int Stage = 1, double? EmaTop1 = null,
    double? ValidationTop1 = null, double? ValidationScore = null, IReadOnlyDictionary<string, double>? Method = null,
    double? ValidationStandardError = null);

/// <summary>
/// The epoch the validation split selected (selection.json, and summary.json's "selection"): the
/// metric, its value, and that epoch's test figures. Nothing is chosen on the test set.
/// </summary>
/// <param name="Metric">Bbn:Validation:SelectBy: balanced-top1, top1 or group-mean.</param>
/// <param name="Epoch">The selected epoch, counted over every stage.</param>
/// <param name="Score">Its validation score.</param>
/// <param name="Top1">Its test top-1.</param>
/// <param name="Many">Its test many-shot accuracy.</param>
/// <param name="Medium">Its test medium-shot accuracy.</param>
/// <param name="Few">Its test few-shot accuracy.</param>
/// <param name="Checkpoint">best.bbn, the weights of that epoch.</param>
/// <param name="ValidationImages">The validation split's size.</param>
/// <param name="OneImage">
/// The most one validation image moves the score (a fraction): 1/images for top1, 1/(classes x the fewest images of a class)
/// for balanced-top1; null in records written before it was kept.
/// </param>
/// <param name="Rule">Bbn:Validation:SelectRule; null in records written before it: highest.</param>
/// <param name="HighestEpoch">The epoch of the highest score so far (the rule's reference).</param>
/// <param name="HighestScore">That score.</param>
/// <param name="HighestStandardError">Its standard error: one-standard-error keeps the latest epoch scoring at least HighestScore minus it.</param>
public sealed record SelectedEpoch(string Metric, int Epoch, double Score, double Top1, double? Many, double? Medium, double? Few, string Checkpoint, long ValidationImages,
    double? OneImage = null, string? Rule = null, int? HighestEpoch = null, double? HighestScore = null, double? HighestStandardError = null)
{
    /// <summary><see cref="OneImage"/>, or 1/images where the record predates it.</summary>
    public double ScoreStep => OneImage ?? 1.0 / Math.Max(1, ValidationImages);
}

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
    IReadOnlyList<Training.RunWarning>? Warnings = null)
{
    /// <summary>The selected epoch and its test figures (the top-level figures are the last epoch's); null without a validation split.</summary>
    public SelectedEpoch? Selection { get; init; }

    /// <summary>The last epoch's validation top-1 and score by the selection metric; null without a validation split.</summary>
    public double? ValidationTop1 { get; init; }

    public double? ValidationScore { get; init; }

    /// <summary>The inference knobs tuned on the validation split, their grids, and the test figures without and with them; null: not tuned.</summary>
    public Evaluation.PostHocTuning? PostHoc { get; init; }

    /// <summary>The inference knobs an evaluation applied (the evaluate verb, from the checkpoint); null: none.</summary>
    public Evaluation.PostHocSettings? Applied { get; init; }

    /// <summary>Where this run is the refit of a selection run on the training and validation images together; null: no refit.</summary>
    public RefitRecord? Refit { get; init; }
}

/// <summary>
/// A refit (Bbn:Validation:Refit): the selection run held <paramref name="HeldOutImages"/> of the training images out, chose the
/// epoch and the inference knobs on them, and this run trained again on all <paramref name="TrainImages"/> with those choices.
/// </summary>
/// <param name="SelectionRun">The selection run's folder, relative to this run's.</param>
/// <param name="TrainImages">The images the refit trained on: the selection run's and its validation images.</param>
/// <param name="HeldOutImages">The validation images the selection run chose on.</param>
/// <param name="Reason">Why the refit ran, as the log said.</param>
/// <param name="SelectionRunTop1">The selection run's last test top-1, for comparison (reported, never used to choose).</param>
public sealed record RefitRecord(string SelectionRun, int TrainImages, int HeldOutImages, string Reason, double SelectionRunTop1);

/// <summary>status.json: where a run stands, replaced atomically so another program can poll it.</summary>
public sealed record RunStatus(
    string State, int Epoch, int Step, int Epochs, IReadOnlyDictionary<string, double>? Method, double? Lr, EpochMetrics? Last, double? EtaSeconds, DateTimeOffset Updated,
    string? Error = null)
{
    /// <summary>Signs that the run is not learning, as the log warned of them (null: none).</summary>
    public IReadOnlyList<Training.RunWarning>? Warnings { get; init; }

    public const string Running = "running";
    public const string Completed = "completed";
    public const string Stopped = "stopped";
    public const string Failed = "failed";
}
