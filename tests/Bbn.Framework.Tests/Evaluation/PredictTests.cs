using System.Text.Json;
using Bbn.Abstractions;
using Bbn.Core.Inference;
using FluentAssertions;
using SkiaSharp;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

[Collection(TorchCollection.Name)]
public sealed class PredictTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    private const int Images = 12;

    /// <summary>The first test images as 28x28 grayscale PNG files, and one file that is not an image.</summary>
    private string WriteImages(string folder)
    {
        Directory.CreateDirectory(folder);
        byte[] idx = FashionMnistFiles.Read(Path.Combine(run.Data, "t10k-images-idx3-ubyte.gz"));
        for (int n = 0; n < Images; n++)
        {
            using var bitmap = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Gray8, SKAlphaType.Opaque));
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++)
                {
                    byte v = idx[16 + (n * 784) + (y * 28) + x];
                    bitmap.SetPixel(x, y, new SKColor(v, v, v));
                }
            using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(Path.Combine(folder, $"test-{n:00}.png"), png.ToArray());
        }
        File.WriteAllBytes(Path.Combine(folder, "broken.png"), [1, 2, 3, 4, 5]);
        return folder;
    }

    [Fact]
    public async Task Predict_on_png_files_gives_the_networks_top_k_and_reports_an_unreadable_file_without_stopping()
    {
        string folder = WriteImages(Path.Combine(run.Root, "predict-json"));

        var (code, output, error) = await AppRunner.Run(["predict", run.RunPath, folder, "--json", "--top", "3", .. run.Settings()]);

        error.Should().BeEmpty();
        code.Should().Be(0);
        using var json = JsonDocument.Parse(output);
        var results = json.RootElement.EnumerateArray().ToList();
        results.Should().HaveCount(Images + 1);
        var broken = results.Single(r => r.GetProperty("file").GetString()!.EndsWith("broken.png", StringComparison.Ordinal));
        broken.GetProperty("error").GetString().Should().Contain("broken.png").And.Contain("not an image");
        var good = results.Where(r => r.GetProperty("error").ValueKind == JsonValueKind.Null).ToList();
        good.Should().HaveCount(Images);
        foreach (var r in good)
        {
            double[] p = r.GetProperty("predictions").EnumerateArray().Select(e => e.GetProperty("probability").GetDouble()).ToArray();
            p.Should().HaveCount(3).And.BeInDescendingOrder();
            p.Sum().Should().BeLessThanOrEqualTo(1.0 + 1e-6);
        }

        // The same network on the dataset's own tensors (28x28 zero-padded to 32x32) gives the same answers.
        using var predictor = Predictor.Load(Path.Combine(run.RunPath, "checkpoint.bbn"),
            BuiltInComponents.Create<IBackbone>("resnet32"), BuiltInComponents.Create<ITrainingMethod>("bbn"), BuiltInComponents.Create<ILoss>("cross-entropy"), CPU);
        using var test = BuiltInComponents.Create<IDatasetSource>("fashion-mnist", new() { ["Root"] = run.Data }).Load(DatasetSplit.Test);
        using var first = test.Images.narrow(0, 0, Images);
        var expected = predictor.Predict(first, 3);
        for (int n = 0; n < Images; n++)
        {
            var top = good.Single(r => r.GetProperty("file").GetString()!.EndsWith($"test-{n:00}.png", StringComparison.Ordinal))
                .GetProperty("predictions")[0];
            top.GetProperty("class_name").GetString().Should().Be(expected[n][0].ClassName);
            top.GetProperty("probability").GetDouble().Should().BeApproximately(expected[n][0].Probability, 1e-5);
        }
    }

    [Fact]
    public async Task Predict_prints_a_table_by_default()
    {
        string folder = WriteImages(Path.Combine(run.Root, "predict-table"));

        var (code, output, _) = await AppRunner.Run(["predict", run.RunPath, Path.Combine(folder, "test-00.png"), Path.Combine(folder, "broken.png"), .. run.Settings()]);

        code.Should().Be(0);
        output.Should().Contain("image").And.Contain("top-1").And.Contain("top-5").And.Contain("test-00.png").And.Contain("%")
            .And.Contain("error:").And.Contain("broken.png");
    }

    [Fact]
    public async Task Predict_without_images_or_with_a_missing_checkpoint_says_what_to_do()
    {
        var (code, _, error) = await AppRunner.Run(["predict", run.RunPath, .. run.Settings()]);
        code.Should().Be(1);
        error.Should().Contain("predict needs images").And.Contain("Usage: predict");

        (code, _, error) = await AppRunner.Run(["predict", Path.Combine(run.Root, "nowhere"), "x.png", .. run.Settings()]);
        code.Should().Be(1);
        error.Should().Contain("Bbn:Predict:Checkpoint").And.Contain("does not exist");
    }
}
