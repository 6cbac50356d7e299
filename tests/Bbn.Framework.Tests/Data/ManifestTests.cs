using Bbn.Core.Runs;
using System.Text.Json;
using Bbn.Core.Data;
using FluentAssertions;

namespace Bbn.Framework.Tests;

public sealed class SubsetManifestTests : IDisposable
{
    private static readonly string[] Classes = ["a", "b"];
    private static readonly int[] Labels = [0, 1, 0, 1, 0];
    private static readonly string[] Ids = SubsetManifest.IndexIds(5);
    private readonly string root = Directory.CreateTempSubdirectory("bbn-manifest-").FullName;

    private string Written(SubsetManifest manifest)
    {
        string path = Path.Combine(root, "manifest.json");
        manifest.Write(path);
        return path;
    }

    [Fact]
    public void A_manifest_round_trips_and_resolves_to_the_same_indices_grouped_by_class()
    {
        string path = Written(SubsetManifest.Of("toy", Classes, Labels, Ids, [4, 1, 0]));

        var read = SubsetManifest.Read(path);

        read.Dataset.Should().Be("toy");
        read.Images[0].Should().Equal("4", "0");
        read.Resolve(Classes, Labels, Ids, path).Should().Equal(4, 0, 1);
        File.ReadAllText(path).Should().Contain("\"class_counts\": [").And.Contain("4,");
    }

    [Fact]
    public void An_unknown_id_is_named()
    {
        string path = Written(new SubsetManifest("toy", Classes, [["0", "9"], ["1"]]));

        var act = () => SubsetManifest.Read(path).Resolve(Classes, Labels, Ids, path);

        act.Should().Throw<InvalidDataException>().WithMessage($"Manifest {path}: image '9' (class 'a') is not in the dataset's training split*");
    }

    [Fact]
    public void An_image_filed_under_another_class_is_named()
    {
        string path = Written(new SubsetManifest("toy", Classes, [["0", "1"], []]));

        var act = () => SubsetManifest.Read(path).Resolve(Classes, Labels, Ids, path);

        act.Should().Throw<InvalidDataException>().WithMessage("*image '1' is listed under class 'a' but the dataset labels it 'b'.");
    }

    [Fact]
    public void Other_classes_are_refused_with_the_first_difference()
    {
        string path = Written(new SubsetManifest("toy", ["a", "c"], [["0"], ["1"]]));

        var act = () => SubsetManifest.Read(path).Resolve(Classes, Labels, Ids, path);

        act.Should().Throw<InvalidDataException>().WithMessage($"Manifest {path} does not match the dataset's classes*first difference at class 1 ('c' vs 'b')*");
    }

    [Fact]
    public void A_missing_or_malformed_manifest_is_named()
    {
        string missing = Path.Combine(root, "absent.json");
        string malformed = Path.Combine(root, "bad.json");
        File.WriteAllText(malformed, "{\"class_names\": [\"a\"]}");

        ((Action)(() => SubsetManifest.Read(missing))).Should().Throw<FileNotFoundException>().WithMessage($"Bbn:Dataset:Manifest = '{missing}' does not exist*");
        ((Action)(() => SubsetManifest.Read(malformed))).Should().Throw<InvalidDataException>().WithMessage($"Bbn:Dataset:Manifest {malformed} is not a subset manifest*");
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}

/// <summary>The manifest through the host, on an in-memory dataset.</summary>
[Collection(TorchCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class ManifestRunTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-manifest-run-").FullName;

    private string[] Settings(string data, string runName, params string[] extra) =>
    [
        "train", "--Bbn:Dataset:Name=cifar10", $"--Bbn:Dataset:Root={data}", "--Bbn:Dataset:ImbalanceRatio=10",
        $"--Bbn:Training:OutputDirectory={Path.Combine(root, "runs")}", $"--Bbn:Training:RunName={runName}",
        "--Bbn:Training:Epochs=1", "--Bbn:Training:BatchSize=4", "--Bbn:Training:MaxStepsPerEpoch=1", "--Bbn:Training:WarmupEpochs=1", .. extra,
    ];

    [Fact]
    public async Task A_runs_manifest_given_back_trains_on_exactly_that_subset_and_a_foreign_one_is_refused()
    {
        string data = CifarFiles.WriteCifar10(Path.Combine(root, "data"), trainPerClass: 12, testPerClass: 1);
        var (code, _, error) = await AppRunner.Run(Settings(data, "first", "--Bbn:Training:Seed=1"));
        error.Should().BeEmpty();
        code.Should().Be(0);
        string manifest = new RunDirectory(Path.Combine(root, "runs", "first")).ManifestPath;

        var (againCode, _, againError) = await AppRunner.Run(Settings(data, "again", "--Bbn:Training:Seed=2", $"--Bbn:Dataset:Manifest={manifest}"));
        var (drawnCode, _, _) = await AppRunner.Run(Settings(data, "drawn", "--Bbn:Dataset:SubsetSeed=2"));
        var (reseededCode, _, _) = await AppRunner.Run(Settings(data, "reseeded", "--Bbn:Training:Seed=2"));

        againError.Should().BeEmpty();
        againCode.Should().Be(0);
        drawnCode.Should().Be(0);
        reseededCode.Should().Be(0);
        string Images(string run) => JsonDocument.Parse(File.ReadAllText(new RunDirectory(Path.Combine(root, "runs", run)).ManifestPath)).RootElement.GetProperty("images").ToString();
        Images("again").Should().Be(Images("first"), "the manifest fixes the subset whatever the seed");
        Images("drawn").Should().NotBe(Images("first"), "another subset seed draws another subset");
        Images("reseeded").Should().Be(Images("first"), "the training seed leaves the subset alone");

        var doc = JsonDocument.Parse(File.ReadAllText(manifest)).RootElement;
        var images = doc.GetProperty("images").EnumerateArray().Select(c => c.EnumerateArray().Select(e => e.GetInt32()).ToList()).ToList();
        images[9][0] = 100_000;
        string foreign = Path.Combine(root, "foreign.json");
        File.WriteAllText(foreign, JsonSerializer.Serialize(new { class_names = doc.GetProperty("class_names"), images }));

        var (badCode, _, badError) = await AppRunner.Run(Settings(data, "bad", $"--Bbn:Dataset:Manifest={foreign}"));

        badCode.Should().Be(1);
        badError.Should().Contain($"Manifest {foreign}: image '100000' (class 'name-9') is not in the dataset's training split");
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
