using System.ComponentModel.DataAnnotations;

namespace Bbn.Plugins.Losses;

public sealed class FocalOptions
{
    [Range(0.0, 10.0)]
    public double Gamma { get; set; } = 2;
}

public sealed class ClassBalancedOptions
{
    [Range(0.0, 0.999999)]
    public double Beta { get; set; } = 0.9999;

    /// <summary>ce (softmax) | focal (sigmoid focal) | sigmoid (one-vs-all BCE); the last two start the classifier's biases at -log(C - 1).</summary>
    [RegularExpression("^(ce|focal|sigmoid)$", ErrorMessage = "ce, focal or sigmoid")]
    public string Base { get; set; } = "ce";

    /// <summary>gamma of the focal base (Cui et al.'s best on CIFAR-LT: 0.5 to 2).</summary>
    [Range(0.0, 10.0)]
    public double Gamma { get; set; } = 2;
}

public sealed class LdamOptions
{
    [Range(0.0, 10.0)]
    public double MaxMargin { get; set; } = 0.5;

    [Range(0.001, 1000.0)]
    public double Scale { get; set; } = 30;

    /// <summary>Deferred re-weighting starts at this fraction of the run (official: epoch 160 of 200).</summary>
    [Range(0.0, 1.0)]
    public double DrwAt { get; set; } = 0.8;

    /// <summary>
    /// When above 0, re-weighting starts after this epoch instead, as the official code's "epoch // 160"
    /// over 0-based epochs (CIFAR: 160, so epochs 161-200 are re-weighted); overrides <see cref="DrwAt"/>.
    /// </summary>
    [Range(0, 100_000)]
    public int DrwEpoch { get; set; }

    [Range(0.0, 0.999999)]
    public double DrwBeta { get; set; } = 0.9999;
}

public sealed class LogitAdjustmentOptions
{
    public const string Loss = "loss";
    public const string PostHoc = "post-hoc";

    [Range(0.0, 10.0)]
    public double Tau { get; set; } = 1;

    [RegularExpression("^(loss|post-hoc)$", ErrorMessage = "loss or post-hoc")]
    public string Mode { get; set; } = Loss;
}

public sealed class LabelSmoothingOptions
{
    [Range(0.0, 1.0)]
    public double Epsilon { get; set; } = 0.1;
}
