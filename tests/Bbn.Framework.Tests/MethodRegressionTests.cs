using System.Text.Json;
using Bbn.Core;
using Bbn.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>
/// The methods redesign moves no number: fixed-seed BBN (concurrent and sequential branch passes) and
/// single-branch runs give the per-step losses, test accuracy and final weights that the trainer
/// before it gave (Golden/method-regression.json, recorded from commit 74821b9's BbnTrainer).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class MethodRegressionTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-regression-").FullName;

    [Theory]
    [InlineData("bbn-concurrent", "bbn", true)]
    [InlineData("bbn-sequential", "bbn", false)]
    [InlineData("single-branch", "single-branch", false)]
    public void A_fixed_seed_run_reproduces_the_losses_and_weights_of_the_trainer_before_the_redesign(string golden, string method, bool concurrent)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "method-regression.json")));
        var expected = document.RootElement.GetProperty(golden);
        using var train = Synthetic.Set([40, 16, 8]);
        var options = new TrainingOptions
        {
            Epochs = 2, BatchSize = 8, WarmupEpochs = 1, LrDecayAt = [0.5], EvaluationBatchSize = 32, Seed = 5, LogEverySteps = 1, ConcurrentBranches = concurrent,
        };
        var run = RunDirectory.ForNewRun(root, golden, "g", DateTimeOffset.UnixEpoch);
        var observer = new RecordingObserver();
        using var session = Sessions.Create(method, options, train);

        TrainingLoop.Run(session, run, TrainingPosition.Start, observer, CancellationToken.None);

        double[] losses = [.. expected.GetProperty("running_mean_loss").EnumerateArray().Select(e => e.GetDouble())];
        observer.Steps.Select(s => s.MeanLoss).Should().Equal(losses, (a, b) => Math.Abs(a - b) <= 1e-5 * Math.Abs(b));
        run.ReadMetrics().Select(m => m.Top1).Should().Equal(expected.GetProperty("top1").EnumerateArray().Select(e => (double?)e.GetDouble()));
        var state = session.Network.state_dict();
        var weights = expected.GetProperty("weights");
        state.Keys.Should().BeEquivalentTo(weights.EnumerateObject().Select(p => p.Name), "the parameter names stay those of the official BBN layout");
        foreach (var entry in weights.EnumerateObject())
        {
            double[] fingerprint = [.. entry.Value.EnumerateArray().Select(e => e.GetDouble())];
            using var flat = state[entry.Name].to_type(ScalarType.Float64).flatten();
            double[] actual = [flat.sum().item<double>(), flat.abs().sum().item<double>(), flat[0].item<double>(), flat[^1].item<double>(), flat.numel()];
            for (int i = 0; i < actual.Length; i++)
                actual[i].Should().BeApproximately(fingerprint[i], 1e-6 + (1e-4 * Math.Abs(fingerprint[i])), $"{entry.Name}[{i}] (sum, |sum|, first, last, count)");
        }
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
