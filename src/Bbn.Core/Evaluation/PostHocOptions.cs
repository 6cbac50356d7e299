namespace Bbn.Core.Evaluation;

/// <summary>
/// Bbn:PostHoc: the inference knobs tuned on the validation split after the last epoch (each a grid,
/// recorded in summary.json and in checkpoint.bbn) and whether evaluate and predict apply them.
/// </summary>
public sealed class PostHocOptions
{
    public const string Section = "Bbn:PostHoc";

    /// <summary>Tune after training (needs a validation split).</summary>
    public bool Tune { get; set; } = true;

    /// <summary>The method's own inference knob over its grid (<see cref="Abstractions.InferenceKnob"/>), where it has one.</summary>
    public bool MethodKnob { get; set; } = true;

    /// <summary>tau of tau-normalisation over [0, 2] (linear heads).</summary>
    public bool TauNorm { get; set; } = true;

    /// <summary>tau of post-hoc logit adjustment over [0, 2].</summary>
    public bool LogitAdjustment { get; set; } = true;

    /// <summary>A temperature for calibration, by validation negative log-likelihood over [0.5, 5].</summary>
    public bool Temperature { get; set; } = true;

    /// <summary>evaluate and predict use the knobs the checkpoint records; false: the network as trained.</summary>
    public bool Apply { get; set; } = true;
}
