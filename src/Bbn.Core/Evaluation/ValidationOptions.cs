using Bbn.Abstractions;
namespace Bbn.Core.Evaluation;

/// <summary>
/// Bbn:Validation: the split held out of training for model selection and post-hoc tuning. Nothing
/// is ever chosen on the test set.
/// </summary>
public sealed class ValidationOptions
{
    public const string Section = "Bbn:Validation";
    public const string ByTop1 = "top1";
    public const string ByBalancedTop1 = "balanced-top1";
    public const string ByGroupMean = "group-mean";
    public const string OneStandardError = "one-standard-error";
    public const string Highest = "highest";

    /// <summary>
    /// auto: the dataset's own validation split where it has one (image-folder's val/, inaturalist's
    /// Bbn:Dataset:Validation file); else, where the long-tailed profile leaves images out (CIFAR,
    /// Fashion-MNIST), <see cref="PerClass"/> images per class from those; else a stratified
    /// <see cref="Fraction"/> of the training images. none: no validation split.
    /// </summary>
    [SettingOneOf(Expected = "auto (a split held out of training) or none")]
    public SplitMode Split { get; set; } = SplitMode.Auto;

    /// <summary>Validation images per class drawn from the images the profile leaves out.</summary>
    [SettingRange(1, 1_000_000, What = "an integer (validation images per class)")]
    public int PerClass { get; set; } = 20;

    /// <summary>
    /// The fraction of each class's training images held out where nothing is left out, and the most a
    /// class gives from its training images where too few are left out (a profile's head class).
    /// </summary>
    [SettingRange(0, 1, Exclusive = true, Expected = "a fraction between 0 and 1 (exclusive) of each class's training images")]
    public double Fraction { get; set; } = 0.1;

    /// <summary>The seed of the validation draw, apart from the training and subset seeds.</summary>
    public int Seed { get; set; }

    /// <summary>
    /// What selects the best epoch and tunes the post-hoc knobs: balanced-top1 (the mean of the per-class accuracies, the
    /// top-1 a class-balanced test set would give; the same number as top1 where the split has as many images of every
    /// class), top1, or group-mean (the mean of the many/medium/few accuracies). balanced-top1 is the default because a
    /// stratified split is as long-tailed as the training images, and there top1 rewards predicting the head classes
    /// (docs/results/small-folders.md measured it).
    /// </summary>
    [SettingOneOf(ByBalancedTop1, ByTop1, ByGroupMean, Expected = "balanced-top1, top1 or group-mean")]
    public string SelectBy { get; set; } = ByBalancedTop1;

    public static IReadOnlyList<string> SelectionMetrics { get; } = [ByBalancedTop1, ByTop1, ByGroupMean];

    /// <summary>
    /// Which epoch the scores choose: one-standard-error, the latest epoch whose score is within one standard error of the highest
    /// (the one-standard-error rule of Hastie, Tibshirani and Friedman, 7.10, preferring the end of the annealed schedule where the
    /// split cannot tell the epochs apart); highest, the first epoch of the highest score. docs/results/small-folders.md measured both.
    /// </summary>
    [SettingOneOf(OneStandardError, Highest, Expected = "one-standard-error or highest")]
    public string SelectRule { get; set; } = OneStandardError;

    /// <summary>
    /// auto: where the split took more than <see cref="Training.RefitPolicy.AutoShare"/> of the training subset's images, train again on all of
    /// them with the epoch and the inference knobs chosen on the split (docs/results/small-folders.md measured why); always: refit
    /// whenever the split took any training image; never: the selection run is the result.
    /// </summary>
    [SettingOneOf]
    public RefitMode Refit { get; set; } = RefitMode.Auto;
}

/// <summary>Bbn:Validation:Split.</summary>
public enum SplitMode
{
    /// <summary>A split held out of training: the dataset's own, the images the profile leaves out, or a stratified fraction.</summary>
    Auto,

    /// <summary>No validation split.</summary>
    None,
}

/// <summary>Bbn:Validation:Refit.</summary>
public enum RefitMode
{
    /// <summary>Refit where the split took more than a small share of the training images.</summary>
    Auto,

    /// <summary>Refit whenever the split took any training image.</summary>
    Always,

    /// <summary>The selection run is the result.</summary>
    Never,
}
