using Bbn.Abstractions;
using SkiaSharp;
using static TorchSharp.torch;

namespace Bbn.Hosting.Inference;

/// <summary>
/// Reads image files (PNG, JPEG, ... through SkiaSharp) into the network's input geometry: to the
/// trained channel count (luma for one channel), then an image no larger than the input is
/// zero-padded around the centre (as Fashion-MNIST's 28x28 -> 32x32), a larger one is resized so
/// its shorter side fits and centre-cropped.
/// </summary>
public static class ImageFiles
{
    public static readonly string[] Extensions = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"];

    /// <summary>The image files named by <paramref name="inputs"/>: files as given, folders searched recursively (sorted).</summary>
    public static IReadOnlyList<string> Expand(IEnumerable<string> inputs)
    {
        var files = new List<string>();
        foreach (string input in inputs)
        {
            if (Directory.Exists(input))
                files.AddRange(Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
                    .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal));
            else files.Add(input);
        }
        return files;
    }

    /// <summary>uint8 [C, H, W] of <paramref name="shape"/>; throws <see cref="InvalidDataException"/> naming the file when it cannot be read.</summary>
    public static Tensor Read(string path, ImageShape shape)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist.", path);
        using var decoded = SKBitmap.Decode(path)
            ?? throw new InvalidDataException($"{path} is not an image SkiaSharp can decode (PNG, JPEG, BMP, GIF, WebP).");
        using var fitted = Fit(decoded, shape.Height, shape.Width);
        var pixels = new byte[shape.Channels * shape.Height * shape.Width];
        int plane = shape.Height * shape.Width;
        for (int y = 0; y < shape.Height; y++)
            for (int x = 0; x < shape.Width; x++)
            {
                var colour = fitted.GetPixel(x, y);
                int at = (y * shape.Width) + x;
                if (shape.Channels == 1)
                {
                    pixels[at] = (byte)Math.Round((0.299 * colour.Red) + (0.587 * colour.Green) + (0.114 * colour.Blue));
                }
                else
                {
                    pixels[at] = colour.Red;
                    pixels[plane + at] = colour.Green;
                    pixels[(2 * plane) + at] = colour.Blue;
                }
            }
        return tensor(pixels, [shape.Channels, shape.Height, shape.Width]);
    }

    private static SKBitmap Fit(SKBitmap source, int height, int width)
    {
        var target = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(target);
        canvas.Clear(SKColors.Black);
        if (source.Width <= width && source.Height <= height)
        {
            canvas.DrawBitmap(source, (width - source.Width) / 2, (height - source.Height) / 2);
        }
        else
        {
            double scale = Math.Max(width / (double)source.Width, height / (double)source.Height);
            float w = (float)(source.Width * scale), h = (float)(source.Height * scale);
            using var image = SKImage.FromBitmap(source);
            canvas.DrawImage(image, SKRect.Create((width - w) / 2, (height - h) / 2, w, h), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        }
        canvas.Flush();
        return target;
    }
}
