using FluentAssertions;
using SkiaSharp;

namespace Bbn.Framework.Tests;

internal static class Plots
{
    /// <summary>A PNG that decodes, has a plot's size, and is not one flat colour.</summary>
    public static void ShouldBeARealPicture(string path)
    {
        File.Exists(path).Should().BeTrue($"{path} should have been written");
        using var bitmap = SKBitmap.Decode(path);
        bitmap.Should().NotBeNull($"{path} should be a PNG");
        bitmap.Width.Should().BeGreaterThan(600);
        bitmap.Height.Should().BeGreaterThan(500);
        var colours = new HashSet<SKColor>();
        for (int y = 0; y < bitmap.Height; y += 7)
            for (int x = 0; x < bitmap.Width; x += 7)
                colours.Add(bitmap.GetPixel(x, y));
        colours.Count.Should().BeGreaterThan(10, "a plot has axes, text and data in several colours");
    }
}
