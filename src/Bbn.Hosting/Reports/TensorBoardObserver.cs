using Bbn.Core.Runs;
using Bbn.Core.Evaluation;
using Bbn.Core.Training;
using TorchSharp.Modules;
using static TorchSharp.torch.utils;

namespace Bbn.Hosting.Reports;

/// <summary>
/// TensorBoard event files under the run directory's tensorboard/ folder (TorchSharp's SummaryWriter):
/// train/loss per progress report (step = images' global step), and per epoch the train loss, lr,
/// the method's own figures (method/NAME), images/s, top-1, many/medium/few, ECE and per-class accuracy (step = epoch).
/// `tensorboard --logdir runs` shows them.
/// </summary>
public sealed class TensorBoardObserver(string runDirectory, IReadOnlyList<string> classNames) : ITrainingObserver
{
    public const string Folder = "tensorboard";

    private readonly SummaryWriter writer = tensorboard.SummaryWriter(Path.Combine(runDirectory, Folder));

    public void StepCompleted(StepProgress progress) =>
        Scalar("train/running_loss", progress.MeanLoss, ((progress.Epoch - 1) * progress.StepsInEpoch) + progress.Step);

    public void Evaluated(int epoch, EvaluationReport report)
    {
        Scalar("test/top1", report.Top1, epoch);
        Optional("test/many", report.Many, epoch);
        Optional("test/medium", report.Medium, epoch);
        Optional("test/few", report.Few, epoch);
        Scalar("test/expected_calibration_error", report.ExpectedCalibrationError, epoch);
        for (int c = 0; c < report.PerClass.Length && c < classNames.Count; c++)
            Optional($"per_class/{c:00}_{classNames[c]}", report.PerClass[c], epoch);
    }

    public void EpochCompleted(EpochMetrics metrics, TimeSpan runRemaining)
    {
        Scalar("train/loss", metrics.TrainLoss, metrics.Epoch);
        Scalar("schedule/lr", metrics.Lr, metrics.Epoch);
        foreach (var (name, value) in metrics.Method ?? new Dictionary<string, double>()) Scalar($"method/{name}", value, metrics.Epoch);
        Scalar("speed/images_per_second", metrics.ImagesPerSecond, metrics.Epoch);
    }

    private void Optional(string tag, double? value, int step)
    {
        if (value is not null) Scalar(tag, value.Value, step);
    }

    // TensorBoard's wall time is seconds since the Unix epoch (the writer's default is DateTime ticks).
    private void Scalar(string tag, double value, int step) =>
        writer.add_scalar(tag, (float)value, step, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
}
