namespace Bbn.Core.Evaluation;

/// <summary>Accumulates predictions: the confusion matrix and the calibration bins.</summary>
public sealed class EvaluationTally
{
    public const int CalibrationBins = 15;
    private readonly long[][] confusion;
    private readonly long[] binCount = new long[CalibrationBins];
    private readonly long[] binCorrect = new long[CalibrationBins];
    private readonly double[] binConfidence = new double[CalibrationBins];

    public EvaluationTally(int classCount)
    {
        confusion = Enumerable.Range(0, classCount).Select(_ => new long[classCount]).ToArray();
    }

    public void Add(int label, int predicted, double confidence)
    {
        confusion[label][predicted]++;
        // Bins (k/15, (k+1)/15], as Guo et al. 2017.
        int bin = Math.Clamp((int)Math.Ceiling(confidence * CalibrationBins) - 1, 0, CalibrationBins - 1);
        binCount[bin]++;
        binConfidence[bin] += confidence;
        if (label == predicted) binCorrect[bin]++;
    }

    public EvaluationReport Report(IReadOnlyList<int> trainingClassCounts, ShotThresholds thresholds)
    {
        long total = binCount.Sum();
        double ece = 0;
        for (int b = 0; b < CalibrationBins; b++)
        {
            if (binCount[b] == 0) continue;
            double accuracy = binCorrect[b] / (double)binCount[b];
            double meanConfidence = binConfidence[b] / binCount[b];
            ece += binCount[b] / (double)total * Math.Abs(accuracy - meanConfidence);
        }
        return EvaluationReport.From(confusion, ece, trainingClassCounts, thresholds);
    }
}
