using Bbn.Core.Data;
using Bbn.Core.Model;
using static TorchSharp.torch;

namespace Bbn.Core.Evaluation;

/// <summary>
/// Evaluates on a test set with the method's inference (<see cref="Abstractions.ITrainingMethod.InferenceFeatures"/>), or with tuned <see cref="PostHocSettings"/>.
/// In a data-parallel run every rank evaluates its own batches and the tallies are summed, so every rank gets the whole set's report.
/// </summary>
public static class Evaluator
{
    public static EvaluationReport Evaluate(BranchNetwork network, IImageSet test, BatchAugmenter preprocessing,
        int batchSize, IReadOnlyList<int> trainingClassCounts, ShotThresholds thresholds, Func<Tensor, Tensor>? adjustLogits = null, PostHocSettings? postHoc = null,
        Distributed.IProcessGroup? group = null)
    {
        group ??= Distributed.SingleProcess.Instance;
        var logitsOf = new PostHocLogits(network, trainingClassCounts, adjustLogits);
        var settings = postHoc ?? PostHocSettings.Identity;
        var tally = new EvaluationTally(test.ClassNames.Count);
        bool wasTraining = network.training;
        network.eval();
        try
        {
            // Inference mode: no autograd bookkeeping at all (no version counters, no views tracked).
            using var inference = inference_mode();
            var device = network.parameters().First().device;
            foreach (var batch in test.InOrder(batchSize, device, Distributed.Shard.Of(group)))
            {
                using var owned = batch;
                using var scope = NewDisposeScope();
                int length = batch.Labels.Length;
                var inputs = preprocessing.Normalize(batch.Images);
                var logits = logitsOf.Of(inputs, settings);
                var (confidence, predicted) = nn.functional.softmax(logits, 1).max(1);
                float[] confidences = confidence.cpu().data<float>().ToArray();
                long[] predictions = predicted.cpu().data<long>().ToArray();
                for (int i = 0; i < length; i++)
                    tally.Add(batch.Labels[i], (int)predictions[i], confidences[i]);
            }
        }
        finally
        {
            network.train(wasTraining);
        }
        tally.SumOver(group);
        return tally.Report(trainingClassCounts, thresholds);
    }
}
