using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Distributed;
using Bbn.Core.Evaluation;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>
/// A rank's share of a step: the ranks' batches, put side by side, are the single process's batch,
/// augmentation included, for in-memory and streamed sets; the sharded evaluations' tallies sum to the whole set's.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ShardTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-shard-").FullName;
    private static readonly int[] Order = [5, 0, 9, 3, 14, 7, 1, 12, 2, 8, 11, 4, 6, 13, 10, 15];

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void In_memory_shards_side_by_side_are_the_whole_batch_with_its_crops_and_flips(int ranks)
    {
        using var set = Synthetic.Set([6, 5, 5]);
        using var augmenter = new BatchAugmenter(set.Normalization, 1, CPU, padding: 4, flip: true);
        AssertShardsMakeTheBatch(ranks, shard => new InMemoryBatches(set, augmenter, batchSize: 8, seed: 7, shard));
    }

    [Fact]
    public void Streamed_shards_side_by_side_are_the_whole_batch_with_its_crops_and_flips()
    {
        string data = ImageFiles.WriteFolders(Path.Combine(root, "data"), [6, 5, 5], testPerClass: 1);
        var list = BuiltInComponents.Create<IDatasetSource>("image-folder", new() { ["Root"] = data }).ListFiles(DatasetSplit.Train)!;
        using var set = ImageFileSet.All(list with { Recipe = ImageRecipe.ImageNet(32, 36) }, new DecodeOptions(Workers: 2, Prefetch: 2));
        using var augmenter = new BatchAugmenter(set.Normalization, 3, CPU, 0, false);
        AssertShardsMakeTheBatch(2, shard => new StreamingBatches(set, augmenter, batchSize: 8, seed: 7, CPU, shard));
    }

    private static void AssertShardsMakeTheBatch(int ranks, Func<Shard, ITrainingBatches> provider)
    {
        var plan = new EpochPlan(1, [Order, Order.Reverse().ToArray()], ["augment-a", "augment-b"]);
        using var scope = NewDisposeScope();
        using var whole = provider(Shard.Whole);
        var expected = whole.Take(plan, 1);
        var shards = Enumerable.Range(0, ranks).Select(r => provider(new Shard(r, ranks))).ToList();
        try
        {
            var parts = shards.Select(s => s.Take(plan, 1)).ToList();
            for (int b = 0; b < 2; b++)
            {
                parts.Should().OnlyContain(p => p.Images[b].shape[0] == 8 / ranks, "each rank takes its share only");
                var images = cat(parts.Select(p => p.Images[b]).ToList(), 0);
                var labels = cat(parts.Select(p => p.Labels[b]).ToList(), 0);
                images.eq(expected.Images[b]).all().item<bool>().Should().BeTrue($"branch {b}'s images of the {ranks} ranks are the whole batch's");
                labels.eq(expected.Labels[b]).all().item<bool>().Should().BeTrue();
            }
        }
        finally
        {
            shards.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void Every_evaluation_batch_belongs_to_exactly_one_rank()
    {
        using var set = Synthetic.Set([7, 6, 4]); // 17 images: batches of 5, 5, 5, 2
        var owned = Enumerable.Range(0, 3).SelectMany(r => set.InOrder(5, CPU, new Shard(r, 3)).Select(batch =>
        {
            using (batch) return batch.Labels;
        })).SelectMany(l => l).ToList();
        owned.Should().HaveCount(17);
        owned.Order().Should().Equal(set.LabelArray.Order());
    }

    [Fact]
    public void Tallies_summed_over_ranks_report_the_whole_set()
    {
        var whole = new EvaluationTally(2);
        var parts = new[] { new EvaluationTally(2), new EvaluationTally(2) };
        var predictions = new[] { (0, 0, 0.9), (0, 1, 0.6), (1, 1, 0.8), (1, 1, 0.99), (1, 0, 0.55) };
        for (int i = 0; i < predictions.Length; i++)
        {
            var (label, predicted, confidence) = predictions[i];
            whole.Add(label, predicted, confidence);
            parts[i % 2].Add(label, predicted, confidence);
        }
        using var ranks = ThreadRanks.Create(2);
        Parallel.For(0, 2, r => parts[r].SumOver(ranks[r]));
        var expected = whole.Report([10, 2], new ShotThresholds(5, 3));
        foreach (var part in parts)
        {
            var report = part.Report([10, 2], new ShotThresholds(5, 3));
            report.Top1.Should().Be(expected.Top1);
            report.Samples.Should().Be(5);
            report.ExpectedCalibrationError.Should().BeApproximately(expected.ExpectedCalibrationError, 1e-12);
        }
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
