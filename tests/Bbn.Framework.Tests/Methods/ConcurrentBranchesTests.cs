using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Training;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>Bbn:Training:ConcurrentBranches: both branch passes at once must train exactly as one after the other.</summary>
[Collection(TorchCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class ConcurrentBranchesTests
{
    private static readonly int[] Counts = [40, 16, 8];

    private static TrainingSession Trainer(ImageSet train, bool concurrent) => Sessions.Create("bbn",
        new TrainingOptions { Epochs = 4, BatchSize = 8, WarmupEpochs = 1, LearningRate = 0.01, Seed = 3, ConcurrentBranches = concurrent }, train);

    private static (double[] Losses, Dictionary<string, Tensor> State) TrainSteps(ImageSet train, bool concurrent, out string execution)
    {
        using var trainer = Trainer(train, concurrent);
        var losses = Sessions.FirstSteps(trainer, epoch: 2, steps: 3);
        execution = trainer.BranchExecution;
        var state = trainer.Network.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone());
        return (losses, state);
    }

    /// <summary>Runs <paramref name="action"/> with libtorch's intra-op thread count set to <paramref name="threads"/>, then restores it.</summary>
    private static T WithThreads<T>(int threads, Func<T> action)
    {
        int before = get_num_threads();
        set_num_threads(threads);
        try
        {
            return action();
        }
        finally
        {
            set_num_threads(before);
        }
    }

    [Fact]
    public void Both_passes_at_once_train_exactly_as_one_after_the_other()
    {
        // Concurrently each pass gets one of the two threads; the sequential reference runs with one
        // thread too, so that both compute every operator alike and only the orchestration differs
        // (the replica's gradients and running statistics merged into the trunk's).
        using var train = Synthetic.Set(Counts);
        string sequentialExecution = "", concurrentExecution = "";
        var (sequentialLosses, sequential) = WithThreads(1, () => TrainSteps(train, concurrent: false, out sequentialExecution));
        var (concurrentLosses, concurrent) = WithThreads(2, () => TrainSteps(train, concurrent: true, out concurrentExecution));

        sequentialExecution.Should().Contain("one after the other");
        concurrentExecution.Should().Be("both branch passes at once, 1 thread(s) each");
        concurrentLosses.Should().Equal(sequentialLosses, (a, b) => Math.Abs(a - b) <= 1e-6 * Math.Abs(b));
        concurrent.Keys.Should().BeEquivalentTo(sequential.Keys);
        concurrent.Keys.Should().Contain(k => k.Contains("running_var")).And.Contain(k => k.Contains("num_batches_tracked"));
        foreach (var (name, value) in sequential)
        {
            var other = concurrent[name];
            if (value.dtype == ScalarType.Int64) other.item<long>().Should().Be(value.item<long>(), name);
            else other.allclose(value, rtol: 1e-6, atol: 1e-7).Should().BeTrue($"{name} differs by up to {(other - value).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void Turned_off_the_passes_run_in_turn()
    {
        using var train = Synthetic.Set(Counts);
        string execution = WithThreads(2, () => { TrainSteps(train, concurrent: false, out string e); return e; });
        execution.Should().Be("branch passes one after the other (Bbn:Training:ConcurrentBranches = false)");
    }

    [Fact]
    public void One_intra_op_thread_runs_the_passes_in_turn()
    {
        using var train = Synthetic.Set(Counts);
        string execution = WithThreads(1, () => { TrainSteps(train, concurrent: true, out string e); return e; });
        execution.Should().Be("branch passes one after the other (one intra-op thread)");
    }

    [Fact]
    public void After_concurrent_steps_the_caller_has_all_its_threads_again()
    {
        using var train = Synthetic.Set(Counts);
        int after = WithThreads(2, () =>
        {
            TrainSteps(train, concurrent: true, out string execution);
            execution.Should().StartWith("both branch passes at once");
            return get_num_threads();
        });
        after.Should().Be(2, "each pass takes half of the caller's threads only while both run");
    }
}
