using Bbn.Abstractions;
using Bbn.Core.Data;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>The decoder, the views and the prefetching batch provider of file datasets.</summary>
[Collection(TorchCollection.Name)]
public sealed class StreamingBatchesTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-stream-").FullName;

    private ImageFileSet Set(ImageRecipe recipe, int[] perClass, DecodeOptions? options = null)
    {
        string data = ImageFiles.WriteFolders(Path.Combine(root, "data"), perClass, testPerClass: 1);
        var list = BuiltInComponents.Create<IDatasetSource>("image-folder", new() { ["Root"] = data }).ListFiles(DatasetSplit.Train)!;
        return ImageFileSet.All(list with { Recipe = recipe }, options ?? new DecodeOptions(Workers: 2, Prefetch: 2));
    }

    [Fact]
    public void Prefetched_batches_equal_the_batches_prepared_on_demand_for_both_branches()
    {
        var set = Set(ImageRecipe.ImageNet(32, 36), [6, 4, 2]);
        int[] conventional = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
        int[] rebalancing = [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0];
        using var augmenter = new BatchAugmenter(set.Normalization, 3, CPU, 0, false);
        using var ahead = new StreamingBatches(set, augmenter, batchSize: 4, seed: 3, CPU);
        using var onDemand = new StreamingBatches(set, augmenter, batchSize: 4, seed: 3, CPU);

        var plan = new EpochPlan(1, [conventional, rebalancing], ["augment-conventional", "augment-rebalancing"]);
        ahead.BeginEpoch(plan, firstStep: 0, steps: 3);
        for (int step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            var a = ahead.Take(plan, step);
            var b = onDemand.Take(plan, step);
            a.Images[0].shape.Should().Equal(4, 3, 32, 32);
            a.Images[0].allclose(b.Images[0], 0, 0).Should().BeTrue($"step {step}'s views are seeded by (seed, branch, epoch, step), not by the order of decoding");
            a.Images[1].allclose(b.Images[1], 0, 0).Should().BeTrue();
            a.Labels[0].data<long>().ToArray().Should().Equal(conventional.Skip(step * 4).Take(4).Select(i => (long)set.LabelArray[i]));
            a.Labels[1].data<long>().ToArray().Should().Equal(rebalancing.Skip(step * 4).Take(4).Select(i => (long)set.LabelArray[i]));
            a.Images[0].allclose(a.Images[1], 0, 0).Should().BeFalse();
        }
        ahead.PrefetchedSteps.Should().Be(3);
        onDemand.PrefetchedSteps.Should().Be(0);
    }

    [Fact]
    public void The_test_split_comes_in_order_in_batches_with_the_centre_view()
    {
        var set = Set(ImageRecipe.ImageNet(32, 36), [3, 2]);

        var batches = set.InOrder(2, CPU).ToList();

        batches.Select(b => b.Labels).Should().BeEquivalentTo(new[] { new[] { 0, 0 }, [0, 1], [1] }, o => o.WithStrictOrdering());
        batches.Select(b => b.Images.shape[0]).Should().Equal(2, 2, 1);
        var again = set.InOrder(5, CPU).Single();
        using var first = batches[0].Images.narrow(0, 0, 1);
        using var same = again.Images.narrow(0, 0, 1);
        first.allclose(same, 0, 0).Should().BeTrue("the test view is deterministic");
        foreach (var b in batches.Append(again)) b.Dispose();
    }

    [Fact]
    public void A_failing_image_surfaces_from_the_producer_with_its_path()
    {
        var set = Set(ImageRecipe.ImageNet(32, 36), [4, 4]);
        File.WriteAllBytes(set.Files[5].Path, [1, 2, 3]);
        int[] order = Enumerable.Range(0, 8).ToArray();
        using var augmenter = new BatchAugmenter(set.Normalization, 3, CPU, 0, false);
        using var batches = new StreamingBatches(set, augmenter, batchSize: 4, seed: 0, CPU);
        var plan = new EpochPlan(1, [order], ["augment-conventional"]);
        batches.BeginEpoch(plan, 0, 2);

        using (NewDisposeScope()) batches.Take(plan, 0);
        var act = () => { using (NewDisposeScope()) batches.Take(plan, 1); };

        act.Should().Throw<InvalidDataException>().WithMessage($"Image {set.Files[5].Path} cannot be read*");
    }

    [Fact]
    public void Under_the_skip_policy_a_bad_image_is_replaced_by_one_of_its_class_and_counted_once()
    {
        var skipped = new List<string>();
        var set = Set(ImageRecipe.ImageNet(32, 36), [3, 3], new DecodeOptions(BadImagePolicy.Skip, 2, 2, (f, _) => { lock (skipped) skipped.Add(f.Id); }));
        File.WriteAllBytes(set.Files[1].Path, [1, 2, 3]);
        var pixels = new byte[set.ImageBytes];

        set.RenderTrain(1, seed: 1, pixels).Should().Be(0);
        set.RenderTrain(1, seed: 2, pixels).Should().Be(0);

        set.SkippedImages.Should().Be(1);
        skipped.Should().Equal("class-a/001.png");
        set.RenderTest(1, pixels).Should().BeFalse();
    }

    [Fact]
    public void The_test_view_centre_crops_and_the_cifar_view_shifts_and_flips()
    {
        var imagenet = ImageViews.Test(ImageRecipe.ImageNet(), 512, 256);
        imagenet.Should().Be(new ViewGeometry(144, 16, 224, 224, 0, 0, false), "resize 256 then centre 224 is a 224-pixel square of a 256-pixel short side");

        var random = new Random(0);
        var views = Enumerable.Range(0, 200).Select(_ => ImageViews.Train(ImageRecipe.Cifar(32, 4), 32, 32, random)).ToList();
        views.Should().OnlyContain(v => Math.Abs(v.ShiftX) <= 4 && Math.Abs(v.ShiftY) <= 4 && v.Width == 32);
        views.Select(v => v.Flip).Distinct().Should().HaveCount(2);
    }

    [Fact]
    public void Random_resized_crops_stay_inside_the_image_within_scale_and_ratio()
    {
        var recipe = ImageRecipe.ImageNet();
        var random = new Random(7);
        for (int i = 0; i < 500; i++)
        {
            var v = ImageViews.Train(recipe, 500, 375, random);
            v.X.Should().BeGreaterThanOrEqualTo(0);
            (v.X + v.Width).Should().BeLessThanOrEqualTo(500);
            (v.Y + v.Height).Should().BeLessThanOrEqualTo(375);
            double scale = v.Width * (double)v.Height / (500 * 375);
            scale.Should().BeInRange(0.07, 1.0);
            (v.Width / (double)v.Height).Should().BeInRange(0.74, 1.34);
        }
    }

    [Fact]
    public void A_rendered_view_holds_the_images_colours_as_rgb_planes_and_flips()
    {
        string path = Path.Combine(root, "halves.png");
        using (var bitmap = new SkiaSharp.SKBitmap(64, 64))
        {
            for (int y = 0; y < 64; y++)
                for (int x = 0; x < 64; x++) bitmap.SetPixel(x, y, x < 32 ? new SkiaSharp.SKColor(255, 0, 0) : new SkiaSharp.SKColor(0, 0, 255));
            using var image = SkiaSharp.SKImage.FromBitmap(bitmap);
            File.WriteAllBytes(path, image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100).ToArray());
        }
        var plain = new byte[3 * 16 * 16];
        var mirrored = new byte[3 * 16 * 16];

        ImageDecoder.Render(path, 16, (w, h) => new ViewGeometry(0, 0, w, h, 0, 0, false), plain);
        ImageDecoder.Render(path, 16, (w, h) => new ViewGeometry(0, 0, w, h, 0, 0, true), mirrored);

        plain[0].Should().Be(255, "top-left is red");
        plain[(2 * 256) + 0].Should().Be(0);
        plain[15].Should().Be(0, "top-right is blue");
        plain[(2 * 256) + 15].Should().Be(255);
        mirrored[0].Should().Be(0, "flipped, the left is blue");
        mirrored[(2 * 256) + 0].Should().Be(255);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
