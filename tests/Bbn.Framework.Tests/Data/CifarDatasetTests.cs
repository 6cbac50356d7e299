using Bbn.Core.Runs;
using System.Text.Json;
using Bbn.Abstractions;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

[Collection(TorchCollection.Name)]
public sealed class CifarDatasetTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-cifar-").FullName;

    private static IDatasetSource Source(string name, string directory) =>
        BuiltInComponents.Create<IDatasetSource>(name, new Dictionary<string, string?> { ["Root"] = directory });

    [Fact]
    public void Cifar10_reads_the_five_training_batches_as_channel_planes_with_names_from_batches_meta()
    {
        string directory = CifarFiles.WriteCifar10(Path.Combine(root, "cifar-10-batches-bin"), trainPerClass: 6, testPerClass: 2);

        using var train = Source("cifar10", root).Load(DatasetSplit.Train); // the parent folder works too
        using var test = Source("cifar10", directory).Load(DatasetSplit.Test);

        train.Images.shape.Should().Equal(60, 3, 32, 32);
        train.Images.dtype.Should().Be(ScalarType.Byte);
        train.Labels.GroupBy(l => l).Should().HaveCount(10).And.OnlyContain(g => g.Count() == 6);
        train.ClassNames.Should().Equal(Enumerable.Range(0, 10).Select(c => $"name-{c}"));
        test.Images.shape.Should().Equal(20, 3, 32, 32);
        int index = Array.IndexOf(test.Labels, 7);
        using var image = test.Images[index].contiguous();
        image.data<byte>().ToArray().Should().Equal(CifarFiles.Pixels(7, 0), "red, green and blue planes are the record's 3072 bytes in order");
        train.Normalization.Mean.Should().HaveCount(3);
    }

    [Fact]
    public void Cifar100_uses_the_fine_label_and_fine_label_names()
    {
        string directory = CifarFiles.WriteCifar100(Path.Combine(root, "c100"), trainPerClass: 2, testPerClass: 1);

        using var train = Source("cifar100", directory).Load(DatasetSplit.Train);

        train.Images.shape.Should().Equal(200, 3, 32, 32);
        train.Labels.Distinct().Should().HaveCount(100);
        train.ClassNames.Should().HaveCount(100).And.StartWith("fine-0").And.EndWith("fine-99");
    }

    [Fact]
    public void A_missing_batch_file_is_named_with_the_setting_to_fix()
    {
        string directory = CifarFiles.WriteCifar10(Path.Combine(root, "missing"), 1, 1);
        File.Delete(Path.Combine(directory, "data_batch_3.bin"));

        var act = () => Source("cifar10", directory).Load(DatasetSplit.Train);

        act.Should().Throw<DatasetNotFoundException>().WithMessage($"CIFAR-10 file {Path.Combine(directory, "data_batch_3.bin")} was not found*Bbn:Dataset:Root*");
    }

    [Fact]
    public void A_truncated_batch_file_is_named()
    {
        string directory = CifarFiles.WriteCifar100(Path.Combine(root, "truncated"), 1, 1);
        string file = Path.Combine(directory, "test.bin");
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..^10]);

        var act = () => Source("cifar100", directory).Load(DatasetSplit.Test);

        act.Should().Throw<InvalidDataException>().WithMessage($"{file} is truncated or corrupt: * records of 3074 bytes*");
    }

    [Fact]
    public void A_corrupt_label_is_named_with_its_record()
    {
        string directory = CifarFiles.WriteCifar10(Path.Combine(root, "corrupt"), 1, 1);
        string file = Path.Combine(directory, "test_batch.bin");
        byte[] bytes = File.ReadAllBytes(file);
        bytes[3073 * 4] = 200;
        File.WriteAllBytes(file, bytes);

        var act = () => Source("cifar10", directory).Load(DatasetSplit.Test);

        act.Should().Throw<InvalidDataException>().WithMessage($"{file} is corrupt: record 4 has label 200*");
    }

    [Fact]
    public async Task Cifar10_trains_a_few_steps_through_the_host_with_the_long_tailed_profile()
    {
        string data = CifarFiles.WriteCifar10(Path.Combine(root, "data"), trainPerClass: 20, testPerClass: 3);
        string runs = Path.Combine(root, "runs");

        var (code, _, error) = await AppRunner.Run(["train", "--Bbn:Dataset:Name=cifar10", $"--Bbn:Dataset:Root={data}", "--Bbn:Dataset:ImbalanceRatio=10",
            $"--Bbn:Training:OutputDirectory={runs}", "--Bbn:Training:RunName=c10", "--Bbn:Training:Epochs=1", "--Bbn:Training:BatchSize=8",
            "--Bbn:Training:MaxStepsPerEpoch=2", "--Bbn:Training:WarmupEpochs=1", "--Bbn:Validation:Split=none"]);

        error.Should().BeEmpty();
        code.Should().Be(0);
        var run = new RunDirectory(Path.Combine(runs, "c10"));
        run.ReadMetrics().Single().Steps.Should().Be(2);
        using var summary = JsonDocument.Parse(File.ReadAllText(run.SummaryPath));
        summary.RootElement.GetProperty("class_counts").EnumerateArray().Select(e => e.GetInt32())
            .Should().Equal(LongTailProfileCounts(20, 10, 10));
        summary.RootElement.GetProperty("class_names")[3].GetString().Should().Be("name-3");
    }

    [Fact]
    public async Task Cifar100_trains_a_few_steps_through_the_host_single_branch()
    {
        string data = CifarFiles.WriteCifar100(Path.Combine(root, "data100"), trainPerClass: 10, testPerClass: 1);
        string runs = Path.Combine(root, "runs");

        var (code, _, error) = await AppRunner.Run(["train", "--Bbn:Method=single-branch", "--Bbn:Dataset:Name=cifar100", $"--Bbn:Dataset:Root={data}",
            "--Bbn:Dataset:ImbalanceRatio=2", $"--Bbn:Training:OutputDirectory={runs}", "--Bbn:Training:RunName=c100", "--Bbn:Training:Epochs=1",
            "--Bbn:Training:BatchSize=8", "--Bbn:Training:MaxStepsPerEpoch=2", "--Bbn:Training:WarmupEpochs=1", "--Bbn:Validation:Split=none"]);

        error.Should().BeEmpty();
        code.Should().Be(0);
        var run = new RunDirectory(Path.Combine(runs, "c100"));
        run.ReadMetrics().Single().Steps.Should().Be(2);
        using var summary = JsonDocument.Parse(File.ReadAllText(run.SummaryPath));
        summary.RootElement.GetProperty("class_counts").EnumerateArray().Select(e => e.GetInt32()).Should().Equal(LongTailProfileCounts(10, 2, 100));
        summary.RootElement.GetProperty("test_images").GetInt64().Should().Be(100);
    }

    private static int[] LongTailProfileCounts(int max, double ratio, int classes) => Bbn.Core.Data.LongTailProfile.ClassCounts(max, ratio, classes);

    public void Dispose() => Directory.Delete(root, recursive: true);
}
