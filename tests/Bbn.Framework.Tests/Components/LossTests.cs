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

    // Cui et al.'s reductions (richardaecn/class-balanced-loss): the batch mean of w_y CE; the binary
    // bases summed over classes and averaged over the batch; focal = BCE (1 - p_t)^gamma.
    [Fact]
    public void Class_balanced_loss_weights_by_the_inverse_effective_number_and_reduces_as_cui_et_al()
    {
        double[] w = EffectiveWeights(0.99);
        double Binary(double gamma)
        {
            double sum = 0;
            for (int n = 0; n < 2; n++)
            for (int c = 0; c < 3; c++)
            {
                double target = c == Y[n] ? 1 : 0;
                double p = 1 / (1 + Math.Exp(-Z[n][c]));
                double pt = target == 1 ? p : 1 - p;
                sum += w[Y[n]] * Math.Pow(1 - pt, gamma) * -Math.Log(pt);
            }
            return sum / 2;
        }
        double ce = Enumerable.Range(0, 2).Select(n => w[Y[n]] * -LogSoftmax(Z[n])[Y[n]]).Average();

        Loss("class-balanced", new() { ["Beta"] = "0.99", ["Base"] = "ce" }).Should().BeApproximately(ce, 1e-5)
            .And.NotBeApproximately(CrossEntropy(Z, Y, w), 1e-3, "not torch's weighted mean, sum w CE / sum w");
        Loss("class-balanced", new() { ["Beta"] = "0.99", ["Base"] = "sigmoid" }).Should().BeApproximately(Binary(0), 1e-5);
        Loss("class-balanced", new() { ["Beta"] = "0.99", ["Base"] = "focal", ["Gamma"] = "2" }).Should().BeApproximately(Binary(2), 1e-5);
        Loss("class-balanced", new() { ["Beta"] = "0.99", ["Base"] = "focal", ["Gamma"] = "0" }).Should().BeApproximately(Binary(0), 1e-5, "gamma 0 is the sigmoid base");
    }

    [Theory]
    [InlineData("ce", null)]
    [InlineData("sigmoid", -2.1972245773362196)] // -log(10 - 1)
    [InlineData("focal", -2.1972245773362196)]
    public void The_binary_class_balanced_bases_start_the_biases_at_minus_log_c_minus_1(string baseLoss, double? bias)
    {
        var loss = BuiltInComponents.Create<ILoss>("class-balanced", new() { ["Base"] = baseLoss });

        loss.InitialClassifierBias(10).Should().Be(bias);
        BuiltInComponents.Create<ILoss>("cross-entropy").InitialClassifierBias(10).Should().BeNull();
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
        // DrwEpoch as the official "epoch // 160" over 0-based epochs: 160 re-weights epochs 161 to 200.
        Loss("ldam", new() { ["DrwEpoch"] = "160" }, new LossContext(Counts, 160, 200)).Should().BeApproximately(CrossEntropy(shifted, Y), 1e-3);
        Loss("ldam", new() { ["DrwEpoch"] = "160" }, new LossContext(Counts, 161, 200)).Should().BeApproximately(CrossEntropy(shifted, Y, EffectiveWeights(0.9999)), 1e-3);
        Loss("ldam", context: new LossContext(Counts, 160, 200)).Should().BeApproximately(CrossEntropy(shifted, Y), 1e-3, "DrwAt 0.8 is the same epoch");
        Loss("ldam", context: new LossContext(Counts, 161, 200)).Should().BeApproximately(CrossEntropy(shifted, Y, EffectiveWeights(0.9999)), 1e-3);
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
