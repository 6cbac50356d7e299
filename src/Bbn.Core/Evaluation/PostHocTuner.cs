using System.Globalization;
using Bbn.Core.Data;
using Bbn.Core.Model;
using static TorchSharp.torch;

namespace Bbn.Core.Evaluation;

/// <summary>One value of a knob's grid and its validation figure.</summary>
public sealed record GridPoint(double Value, double Score);

/// <summary>A knob's grid search on the validation split: every value with its score, and the value kept.</summary>
/// <param name="Knob">the method's knob (by its name), tau-norm, logit-adjustment (scored by the selection metric) or temperature (scored by negative log-likelihood, lower is better).</param>
/// <param name="Chosen">The value kept.</param>
/// <param name="Grid">Every value tried, with its validation figure.</param>
public sealed record KnobSearch(string Knob, double Chosen, IReadOnlyList<GridPoint> Grid);

/// <summary>What post-hoc tuning chose on the validation split, with its grids, and the test figures without and with it.</summary>
public sealed record PostHocTuning(PostHocSettings Settings, string Metric, double ValidationScoreBefore, double ValidationScoreAfter, IReadOnlyList<KnobSearch> Searches)
{
    /// <summary>The test figures as trained (the run's last epoch); filled by the caller.</summary>
    public PostHocTest? TestBefore { get; init; }

    /// <summary>The test figures with <see cref="Settings"/>; ECE with the tuned temperature.</summary>
    public PostHocTest? TestAfter { get; init; }
}

/// <summary>Test figures for summary.json.</summary>
public sealed record PostHocTest(double Top1, double? Many, double? Medium, double? Few, double ExpectedCalibrationError)
{
    public static PostHocTest Of(EvaluationReport r) => new(r.Top1, r.Many, r.Medium, r.Few, r.ExpectedCalibrationError);
}

/// <summary>
/// Tunes <see cref="PostHocSettings"/> on the validation split, one knob after the other (the method's own, then
/// tau-norm, then logit adjustment, each by the selection metric; then the temperature by negative
/// log-likelihood). A knob leaves its neutral value only for a strictly better validation figure.
/// The branches' features are computed once; every grid point reuses them.
/// </summary>
public static class PostHocTuner
{
    public static IReadOnlyList<double> TauNormGrid { get; } = Steps(0, 2, 0.1);
    public static IReadOnlyList<double> LogitAdjustmentGrid { get; } = Steps(0, 2, 0.1);

    /// <summary>0.5 to 5, geometric, 1 included.</summary>
    public static IReadOnlyList<double> TemperatureGrid { get; } = [.. Enumerable.Range(-6, 21).Select(k => Math.Round(Math.Pow(10, k / 20.0), 4))];

    public static PostHocTuning Tune(BranchNetwork network, PostHocLogits logits, IImageSet validation, BatchAugmenter preprocessing, int batchSize,
        IReadOnlyList<int> trainingClassCounts, ShotThresholds thresholds, string metric, PostHocOptions knobs)
    {
        bool wasTraining = network.training;
        network.eval();
        var cached = new List<(Tensor[] Features, int[] Labels, Tensor LabelTensor)>();
        try
        {
            using var inference = inference_mode();
            var device = network.parameters().First().device;
            foreach (var batch in validation.InOrder(batchSize, device))
            {
                using var owned = batch;
                using var inputs = preprocessing.Normalize(batch.Images);
                var features = network.BranchFeatures(inputs);
                cached.Add((features, batch.Labels, tensor(batch.Labels.Select(l => (long)l).ToArray(), device: device)));
            }

            EvaluationReport Report(PostHocSettings s)
            {
                var tally = new EvaluationTally(validation.ClassNames.Count);
                foreach (var (features, labels, _) in cached)
                {
                    using var scope = NewDisposeScope();
                    var (confidence, predicted) = nn.functional.softmax(logits.FromFeatures(features, s), 1).max(1);
                    float[] c = confidence.cpu().data<float>().ToArray();
                    long[] p = predicted.cpu().data<long>().ToArray();
                    for (int i = 0; i < labels.Length; i++) tally.Add(labels[i], (int)p[i], c[i]);
                }
                return tally.Report(trainingClassCounts, thresholds);
            }

            double NegativeLogLikelihood(PostHocSettings s)
            {
                double sum = 0;
                long count = 0;
                foreach (var (features, labels, target) in cached)
                {
                    using var scope = NewDisposeScope();
                    sum += nn.functional.cross_entropy(logits.FromFeatures(features, s), target, reduction: nn.Reduction.Sum).item<float>();
                    count += labels.Length;
                }
                return sum / Math.Max(1, count);
            }

            var current = PostHocSettings.Identity;
            double before = ModelSelection.Score(Report(current), metric);
            double best = before;
            var searches = new List<KnobSearch>();
            void Search(string knob, IReadOnlyList<double> grid, Func<PostHocSettings, double, PostHocSettings> set, double neutral)
            {
                var points = new List<GridPoint>();
                var chosen = current;
                double chosenValue = neutral;
                foreach (double value in grid)
                {
                    var candidate = set(current, value);
                    double score = ModelSelection.Score(Report(candidate), metric);
                    points.Add(new GridPoint(value, score));
                    if (score > best) (best, chosen, chosenValue) = (score, candidate, value);
                }
                current = chosen;
                searches.Add(new KnobSearch(knob, chosenValue, points));
            }

            if (knobs.MethodKnob && logits.Knob is { } knob) Search(knob.Name, knob.Grid, (s, v) => s with { Method = new MethodKnobValue(knob.Name, v) }, knob.Neutral);
            if (knobs.TauNorm && logits.HasTauNorm) Search("tau-norm", TauNormGrid, (s, v) => s with { TauNorm = v }, 0);
            if (knobs.LogitAdjustment) Search("logit-adjustment", LogitAdjustmentGrid, (s, v) => s with { LogitAdjustment = v }, 0);
            if (knobs.Temperature)
            {
                var points = TemperatureGrid.Select(t => new GridPoint(t, NegativeLogLikelihood(current with { Temperature = t }))).ToList();
                var lowest = points.MinBy(p => p.Score)!;
                if (lowest.Score < points.First(p => p.Value == 1).Score) current = current with { Temperature = lowest.Value };
                searches.Add(new KnobSearch("temperature", current.Temperature, points));
            }
            return new PostHocTuning(current, metric, before, best, searches);
        }
        finally
        {
            foreach (var (features, _, target) in cached)
            {
                foreach (var f in features) f.Dispose();
                target.Dispose();
            }
            network.train(wasTraining);
        }
    }

    private static double[] Steps(double from, double to, double step) =>
        [.. Enumerable.Range(0, (int)Math.Round((to - from) / step) + 1).Select(i => Math.Round(from + (i * step), 6))];

    /// <summary>The settings as one line for the log.</summary>
    public static string Describe(PostHocSettings s) => string.Create(CultureInfo.InvariantCulture,
        $"{(s.Method is { } m ? $"{m.Name} {m.Value:0.###}, " : "")}tau-norm {s.TauNorm:0.###}, logit adjustment {s.LogitAdjustment:0.###}, temperature {s.Temperature:0.####}");
}
