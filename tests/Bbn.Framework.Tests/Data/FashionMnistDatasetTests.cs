using Bbn.Abstractions;
using FluentAssertions;
using Microsoft.Extensions.Configuration;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

[Collection(TorchCollection.Name)]
public sealed class FashionMnistDatasetTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-fmnist-").FullName;

    [Fact]
    public void The_real_training_set_loads_as_60000_padded_grey_images_with_balanced_labels()
    {
        var dataset = BuiltInComponents.Create<IDatasetSource>("fashion-mnist", new Dictionary<string, string?> { ["Root"] = FashionMnistFiles.Root });

        using var train = dataset.Load(DatasetSplit.Train);

        train.Images.shape.Should().Equal(60000, 1, 32, 32);
        train.Images.dtype.Should().Be(ScalarType.Byte);
        train.Labels.GroupBy(l => l).Select(g => g.Count()).Should().AllBeEquivalentTo(6000);
        train.ClassNames.Should().HaveCount(10).And.Contain("Ankle boot");
        using var border = train.Images[.., .., ..2, ..].sum();
        border.item<long>().Should().Be(0, "the 28x28 images are padded with two zero rows and columns");
    }

    [Fact]
    public void Padding_keeps_the_original_pixels_in_the_centre()
    {
        string directory = FashionMnistFiles.WriteSubset(Path.Combine(root, "subset"), 5, 5);
        byte[] raw = FashionMnistFiles.Read(Path.Combine(directory, "t10k-images-idx3-ubyte.gz"));
        var dataset = BuiltInComponents.Create<IDatasetSource>("fashion-mnist", new Dictionary<string, string?> { ["Root"] = directory });

        using var test = dataset.Load(DatasetSplit.Test);

        test.Images.shape.Should().Equal(5, 1, 32, 32);
        using var centre = test.Images[1, 0, 2..30, 2..30].contiguous();
        centre.data<byte>().ToArray().Should().Equal(raw.Skip(16 + 784).Take(784));
    }

    [Fact]
    public void Padding_0_keeps_the_native_28x28_images_and_its_normalisation_follows_the_padding()
    {
        string directory = FashionMnistFiles.WriteSubset(Path.Combine(root, "native"), 5, 5);
        byte[] raw = FashionMnistFiles.Read(Path.Combine(directory, "t10k-images-idx3-ubyte.gz"));
        var dataset = BuiltInComponents.Create<IDatasetSource>("fashion-mnist", new Dictionary<string, string?> { ["Root"] = directory, ["Padding"] = "0" });

        using var test = dataset.Load(DatasetSplit.Test);

        test.Images.shape.Should().Equal(5, 1, 28, 28);
        using var second = test.Images[1].contiguous();
        second.data<byte>().ToArray().Should().Equal(raw.Skip(16 + 784).Take(784));
        test.Normalization.Mean[0].Should().BeApproximately(0.2860f, 1e-4f);
        test.Normalization.Std[0].Should().BeApproximately(0.3530f, 1e-4f);
        // The padded statistics were measured over the padded 60,000 training images: 0.2190 / 0.3317.
        using var paddedSet = BuiltInComponents.Create<IDatasetSource>("fashion-mnist", new Dictionary<string, string?> { ["Root"] = directory }).Load(DatasetSplit.Test);
        var padded = paddedSet.Normalization;
        padded.Mean[0].Should().BeApproximately(0.2190f, 5e-4f);
        padded.Std[0].Should().BeApproximately(0.3317f, 5e-4f);
    }

    [Fact]
    public void A_missing_root_names_the_file_the_script_and_the_setting()
    {
        var dataset = BuiltInComponents.Create<IDatasetSource>("fashion-mnist", new Dictionary<string, string?> { ["Root"] = Path.Combine(root, "absent") });

        var act = () => dataset.Load(DatasetSplit.Train);

        act.Should().Throw<DatasetNotFoundException>()
            .WithMessage($"*{Path.Combine(root, "absent", "train-images-idx3-ubyte.gz")} was not found*scripts/install-dataset.sh*Bbn:Dataset:Root*");
    }

    [Fact]
    public void A_truncated_file_is_reported_with_its_path()
    {
        string directory = FashionMnistFiles.WriteSubset(Path.Combine(root, "truncated"), 3, 3);
        string images = Path.Combine(directory, "train-images-idx3-ubyte.gz");
        byte[] raw = FashionMnistFiles.Read(images);
        FashionMnistFiles.Write(images, raw.AsSpan(0, raw.Length - 100), 3);
        var dataset = BuiltInComponents.Create<IDatasetSource>("fashion-mnist", new Dictionary<string, string?> { ["Root"] = directory });

        var act = () => dataset.Load(DatasetSplit.Train);

        act.Should().Throw<InvalidDataException>().WithMessage($"{images} is truncated*");
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
