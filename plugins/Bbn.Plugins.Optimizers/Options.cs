using System.ComponentModel.DataAnnotations;

namespace Bbn.Plugins.Optimizers;

/// <summary>Bbn:Optimizer with Name adamw: the moment decays and the denominator's guard.</summary>
public sealed class AdamWOptions
{
    [Range(0.0, 0.999999)]
    public double Beta1 { get; set; } = 0.9;

    [Range(0.0, 0.999999)]
    public double Beta2 { get; set; } = 0.999;

    [Range(1e-12, 1.0)]
    public double Eps { get; set; } = 1e-8;
}
