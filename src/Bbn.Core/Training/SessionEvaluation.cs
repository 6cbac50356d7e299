using Bbn.Core.Data;
using Bbn.Core.Evaluation;
using Bbn.Core.Model;
using static TorchSharp.torch;

namespace Bbn.Core.Training;

/// <summary>
/// A session's evaluations: the test set and the validation split with the method's inference, post-hoc settings, the
/// knobs tuned on the validation split, the moving average. Each leaves the network in the active stage's modes.
/// </summary>
public sealed class SessionEvaluation(TrainingSetup setup, TrainingOptions options, BranchNetwork network, IImageSet train, IImageSet test, IImageSet? validation,
    BatchAugmenter augmenter, StageController stages, Distributed.DataParallel parallel, WeightAverage? average)
{
    /// <summary>The inference knobs tuned on the validation split that checkpoints record; null: none tuned.</summary>
    public PostHocSettings? Tuned { get; set; }

    /// <summary>The test set with the method's inference (the last stage's loss adjusts the logits, as post-hoc logit adjustment does).</summary>
    public EvaluationReport Test() => Evaluate(test);

    /// <summary>The validation split as <see cref="Test()"/> scores the test set; null without one.</summary>
    public EvaluationReport? Validation() => validation is null ? null : Evaluate(validation);

    /// <summary>The test set with post-hoc <paramref name="settings"/> (<see cref="PostHocSettings.Identity"/>: as <see cref="Test()"/>).</summary>
    public EvaluationReport Test(PostHocSettings settings) => Evaluate(test, settings);

    /// <summary>The test set with the moving average's weights, or null without one.</summary>
    public EvaluationReport? Average() => average?.WithAverage(() => Test());

    /// <summary>Tunes the inference knobs on the validation split (<see cref="PostHocTuner"/>); null without a validation split.</summary>
    public PostHocTuning? TunePostHoc(string metric, PostHocOptions knobs)
    {
        if (validation is null) return null;
        try
        {
            return PostHocTuner.Tune(network, new PostHocLogits(network, train.ClassCounts, InferenceAdjustment()), validation, augmenter, options.EvaluationBatchSize,
                train.ClassCounts, Shots, metric, knobs);
        }
        finally
        {
            stages.RestoreModes();
        }
    }

    private ShotThresholds Shots => new(options.ManyShotThreshold, options.FewShotThreshold);

    private EvaluationReport Evaluate(IImageSet images, PostHocSettings? settings = null)
    {
        try
        {
            return Evaluator.Evaluate(network, images, augmenter, options.EvaluationBatchSize, train.ClassCounts, Shots, InferenceAdjustment(), settings, parallel.Group);
        }
        finally
        {
            stages.RestoreModes();
        }
    }

    /// <summary>The last stage's loss's adjustment of the logits at inference (post-hoc logit adjustment for the losses that ask for it).</summary>
    private Func<Tensor, Tensor> InferenceAdjustment()
    {
        var last = stages.All[^1];
        var finalLoss = last.Loss ?? setup.Loss;
        var context = new Abstractions.LossContext(train.ClassCounts, last.Epochs, last.Epochs);
        return logits => finalLoss.AdjustForInference(logits, context);
    }
}
