using Bbn.Abstractions;
using Bbn.Core.Data;
using FluentAssertions;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

[Collection(TorchCollection.Name)]
public sealed class BatchAugmenterTests
{
    private static readonly ChannelNormalization Identity = new([0f], [1f]);

    [Fact]
    public void Each_augmented_image_is_a_padded_crop_or_its_mirror()
    {
        const int side = 6, pad = 2;
        var pixels = Enumerable.Range(0, 3 * side * side).Select(i => (byte)(1 + (i % 250))).ToArray();
        using var images = tensor(pixels, [3, 1, side, side]);
        using var augmenter = new BatchAugmenter(Identity, 1, CPU, pad, flip: true);

        using var output = augmenter.Augment(images, new Random(11));

        byte[] actual = output.data<byte>().ToArray();
        for (int n = 0; n < 3; n++)
        {
            var candidates = new List<byte[]>();
            for (int oy = 0; oy <= 2 * pad; oy++)
            for (int ox = 0; ox <= 2 * pad; ox++)
            foreach (bool mirror in new[] { false, true })
                candidates.Add(Crop(pixels, n, side, pad, oy, ox, mirror));
            byte[] image = actual.Skip(n * side * side).Take(side * side).ToArray();
            candidates.Should().Contain(c => c.SequenceEqual(image), $"image {n} must be one of the padded crops or their mirrors");
        }
    }

    [Fact]
    public void Crops_and_flips_vary_across_a_batch_and_repeat_for_the_same_seed()
    {
        using var images = randint(0, 255, [64, 1, 8, 8]).to(ScalarType.Byte);
        using var augmenter = new BatchAugmenter(Identity, 1, CPU, 4, flip: true);

        using var a = augmenter.Augment(images, new Random(3));
        using var b = augmenter.Augment(images, new Random(3));
        using var c = augmenter.Augment(images, new Random(4));

        Same(a, b).Should().BeTrue();
        Same(a, c).Should().BeFalse();
        Same(a, images).Should().BeFalse();
    }

    [Fact]
    public void Without_padding_and_flip_the_images_are_unchanged_and_normalised_per_channel()
    {
        using var images = tensor(new byte[] { 0, 51, 102, 255, 0, 51, 102, 255 }, [1, 2, 2, 2]);
        using var augmenter = new BatchAugmenter(new ChannelNormalization([0.2f, 0.4f], [0.5f, 0.25f]), 2, CPU, 0, flip: false);

        using var augmented = augmenter.Augment(images, new Random(1));
        using var normalised = augmenter.Normalize(augmented);

        Same(augmented, images).Should().BeTrue();
        normalised.data<float>().ToArray().Should().Equal(
            new[] { -0.4f, 0f, 0.4f, 1.6f, -1.6f, -0.8f, 0f, 2.4f },
            (x, y) => Math.Abs(x - y) < 1e-5);
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static byte[] Crop(byte[] pixels, int n, int side, int pad, int oy, int ox, bool mirror)
    {
        var crop = new byte[side * side];
        for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
        {
            int sx = mirror ? side - 1 - x : x;
            int py = y + oy - pad, px = sx + ox - pad;
            crop[(y * side) + x] = py < 0 || px < 0 || py >= side || px >= side ? (byte)0 : pixels[(n * side * side) + (py * side) + px];
        }
        return crop;
    }
}
