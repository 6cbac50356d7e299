using Bbn.Abstractions;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>Each loss on a 2x3 batch against a computation written out in doubles.</summary>
[Collection(TorchCollection.Name)]
public sealed class ToolboxLossTests
{
    private static readonly double[][] Z = [[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]];
    private static readonly long[] Y = [0, 1];
    private static readonly int[] Counts = [100, 20, 5];
    private static readonly LossContext Context = new(Counts, 1, 10);

    private static double Loss(string name, Dictionary<string, string?>? settings = null, LossContext? context = null)
    {
        var loss = BuiltInComponents.Create<ILoss>(name, settings);
        using var logits = tensor(Z.SelectMany(r => r.Select(v => (float)v)).ToArray()).reshape(2, 3);
        using var targets = tensor(Y);
        using var value = loss.Compute(logits, targets, context ?? Context);
        return value.item<float>();
    }

    private static double[] LogSoftmax(double[] z)
    {
        double lse = Math.Log(z.Sum(Math.Exp));
        return z.Select(v => v - lse).ToArray();
    }

    private static double CrossEntropy(double[][] z, long[] y, double[]? weights = null)
    {
        double num = 0, den = 0;
        for (int n = 0; n < z.Length; n++)
        {
            double w = weights?[y[n]] ?? 1;
            num += w * -LogSoftmax(z[n])[y[n]];
            den += w;
        }
        return num / den;
    }

    private static double[] EffectiveWeights(double beta)
    {
        double[] raw = Counts.Select(n => (1 - beta) / (1 - Math.Pow(beta, n))).ToArray();
        return raw.Select(w => w * Counts.Length / raw.Sum()).ToArray();
    }

    private static double[][] Shift(double[][] z, Func<int, double> byClass) =>
        z.Select(row => row.Select((v, c) => v + byClass(c)).ToArray()).ToArray();

    [Fact]
    public void Focal_is_one_minus_pt_to_the_gamma_times_the_log_loss()
    {
        double expected = Enumerable.Range(0, 2).Select(n =>
        {
            double logPt = LogSoftmax(Z[n])[Y[n]];
            return -Math.Pow(1 - Math.Exp(logPt), 2) * logPt;
        }).Average();

        Loss("focal", new() { ["Gamma"] = "2" }).Should().BeApproximately(expected, 1e-5);
        Loss("focal", new() { ["Gamma"] = "0" }).Should().BeApproximately(CrossEntropy(Z, Y), 1e-5, "gamma 0 is cross-entropy");
    }

    [Fact]
    public void Class_balanced_weights_are_the_normalised_inverse_effective_numbers()
    {
        double[] w = EffectiveWeights(0.99);

        Loss("class-balanced", new() { ["Beta"] = "0.99", ["Base"] = "ce" }).Should().BeApproximately(CrossEntropy(Z, Y, w), 1e-5);

        double focal = Enumerable.Range(0, 2).Select(n =>
        {
            double logPt = LogSoftmax(Z[n])[Y[n]];
            return w[Y[n]] * -Math.Pow(1 - Math.Exp(logPt), 2) * logPt;
        }).Average();
        Loss("class-balanced", new() { ["Beta"] = "0.99", ["Base"] = "focal", ["Gamma"] = "2" }).Should().BeApproximately(focal, 1e-5);

        double sigmoid = 0;
        for (int n = 0; n < 2; n++)
        for (int c = 0; c < 3; c++)
        {
            double target = c == Y[n] ? 1 : 0;
            double p = 1 / (1 + Math.Exp(-Z[n][c]));
            sigmoid += w[Y[n]] * -((target * Math.Log(p)) + ((1 - target) * Math.Log(1 - p)));
        }
        Loss("class-balanced", new() { ["Beta"] = "0.99", ["Base"] = "sigmoid" }).Should().BeApproximately(sigmoid / 6, 1e-5);
    }

    [Fact]
    public void Ldam_subtracts_the_class_margin_scales_and_defers_reweighting()
    {
        double[] raw = Counts.Select(n => Math.Pow(n, -0.25)).ToArray();
        double[] margins = raw.Select(m => m * 0.5 / raw.Max()).ToArray();
        double[][] shifted = Z.Select((row, n) => row.Select((v, c) => 30 * (v - (c == Y[n] ? margins[c] : 0))).ToArray()).ToArray();

        Loss("ldam").Should().BeApproximately(CrossEntropy(shifted, Y), 1e-3);
        var late = new LossContext(Counts, 9, 10); // (9-1)/10 = 0.8 >= DrwAt
        Loss("ldam", context: late).Should().BeApproximately(CrossEntropy(shifted, Y, EffectiveWeights(0.9999)), 1e-3);
        Loss("ldam", new() { ["DrwEpoch"] = "2" }, new LossContext(Counts, 2, 10)).Should().BeApproximately(CrossEntropy(shifted, Y, EffectiveWeights(0.9999)), 1e-3);
        Loss("ldam", new() { ["DrwEpoch"] = "3" }, new LossContext(Counts, 2, 10)).Should().BeApproximately(CrossEntropy(shifted, Y), 1e-3);
    }

    [Fact]
    public void Balanced_softmax_and_logit_adjustment_add_the_log_prior()
    {
        double[] logPrior = Counts.Select(n => Math.Log(n / 125.0)).ToArray();

        Loss("balanced-softmax").Should().BeApproximately(CrossEntropy(Shift(Z, c => logPrior[c]), Y), 1e-5);
        Loss("logit-adjustment", new() { ["Tau"] = "0.5" }).Should().BeApproximately(CrossEntropy(Shift(Z, c => 0.5 * logPrior[c]), Y), 1e-5);
        Loss("logit-adjustment", new() { ["Mode"] = "post-hoc" }).Should().BeApproximately(CrossEntropy(Z, Y), 1e-5, "post-hoc trains with plain CE");
    }

    [Fact]
    public void Post_hoc_logit_adjustment_subtracts_tau_log_prior_at_inference_only()
    {
        var adjust = BuiltInComponents.Create<ILoss>("logit-adjustment", new() { ["Mode"] = "post-hoc", ["Tau"] = "1" });
        var duringTraining = BuiltInComponents.Create<ILoss>("logit-adjustment");
        using var logits = tensor(new float[] { 1, 1, 1 }).reshape(1, 3);

        using var adjusted = adjust.AdjustForInference(logits, Context);
        using var untouched = duringTraining.AdjustForInference(logits, Context);

        adjusted.data<float>().ToArray().Should().Equal(Counts.Select(n => (float)(1 - Math.Log(n / 125.0))).ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);
        untouched.data<float>().ToArray().Should().Equal(1f, 1f, 1f);
    }

    [Fact]
    public void Label_smoothing_mixes_the_log_loss_with_the_mean_negative_log_probability()
    {
        double expected = Enumerable.Range(0, 2).Select(n =>
        {
            double[] lp = LogSoftmax(Z[n]);
            return (0.9 * -lp[Y[n]]) + (0.1 * -lp.Average());
        }).Average();

        Loss("label-smoothing", new() { ["Epsilon"] = "0.1" }).Should().BeApproximately(expected, 1e-5);
    }

    [Fact]
    public void A_bad_base_is_refused_with_the_allowed_values()
    {
        var act = () => BuiltInComponents.Create<ILoss>("class-balanced", new() { ["Base"] = "hinge" });

        act.Should().Throw<ComponentConfigurationException>().WithMessage("Setting Test:Component:Base = 'hinge' is invalid: expected ce, focal or sigmoid.*");
    }
}
