using Bbn.Abstractions;
using SkiaSharp;

namespace Bbn.Core.Data;

/// <summary>
/// Decodes an image file (JPEG, PNG, WebP, ... through SkiaSharp) and renders one view of it as
/// uint8 RGB planes [3, size, size]. JPEGs are decoded at a reduced scale when the view is much
/// smaller than the image, which is most of the cost saved on large photographs.
/// </summary>
public static class ImageDecoder
{
    private static readonly SKSamplingOptions Bilinear = new(SKFilterMode.Linear, SKMipmapMode.None);

    /// <summary>Renders the view that <paramref name="geometry"/> picks (given the image's width and height) into <paramref name="destination"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not an image SkiaSharp can decode, or its data are truncated.</exception>
    public static void Render(string path, int size, Func<int, int, ViewGeometry> geometry, Span<byte> destination)
    {
        if (destination.Length != 3 * size * size)
            throw new ArgumentException($"The destination holds {destination.Length} bytes; a {size}x{size} RGB view needs {3 * size * size}.", nameof(destination));
        // One read into native memory: faster than letting the codec pull through a managed stream.
        using var data = SKData.Create(path)
            ?? throw new InvalidDataException($"{path} could not be read.");
        using var codec = SKCodec.Create(data)
            ?? throw new InvalidDataException($"{path} is not an image that can be decoded.");
        int width = codec.Info.Width, height = codec.Info.Height;
        if (width <= 0 || height <= 0) throw new InvalidDataException($"{path} has no pixels ({width}x{height}).");
        var view = geometry(width, height);

        // Decode at the smallest scale the codec offers that still leaves the crop at least `size` pixels.
        float scale = Math.Min(1f, size / (float)Math.Min(view.Width, view.Height));
        var dimensions = scale < 1f ? codec.GetScaledDimensions(scale) : codec.Info.Size;
        if (dimensions.Width * (double)view.Width / width < size || dimensions.Height * (double)view.Height / height < size)
            dimensions = codec.Info.Size;
        var info = new SKImageInfo(dimensions.Width, dimensions.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var decoded = new SKBitmap(info);
        var result = codec.GetPixels(info, decoded.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            throw new InvalidDataException($"{path} could not be decoded ({result}).");
        if (result == SKCodecResult.IncompleteInput)
            throw new InvalidDataException($"{path} is truncated (the decoder ran out of data).");

        double fx = dimensions.Width / (double)width, fy = dimensions.Height / (double)height;
        var source = SKRectI.Create(
            (int)Math.Floor(view.X * fx), (int)Math.Floor(view.Y * fy),
            Math.Max(1, (int)Math.Round(view.Width * fx)), Math.Max(1, (int)Math.Round(view.Height * fy)));
        source.Intersect(SKRectI.Create(0, 0, dimensions.Width, dimensions.Height));
        using var crop = new SKBitmap();
        if (!decoded.ExtractSubset(crop, source)) throw new InvalidDataException($"{path}: the view {source} lies outside the image.");
        using var resized = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        if (!crop.ScalePixels(resized, Bilinear)) throw new InvalidDataException($"{path} could not be resized.");
        ToPlanes(resized.GetPixelSpan(), size, view, destination);
    }

    /// <summary>
    /// A new image as the network's input of <paramref name="shape"/> (uint8 [C, H, W]) for a model trained
    /// on decoded tensors (Fashion-MNIST, CIFAR): to the channel count (luma for one channel); an image no
    /// larger than the input is zero-padded around the centre (as Fashion-MNIST's 28x28 -> 32x32), a larger
    /// one resized so that it covers the input and centre-cropped.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not an image SkiaSharp can decode.</exception>
    public static byte[] Fit(string path, ImageShape shape)
    {
        using var decoded = SKBitmap.Decode(path)
            ?? throw new InvalidDataException($"{path} is not an image that can be decoded (PNG, JPEG, BMP, GIF, WebP).");
        int width = shape.Width, height = shape.Height;
        using var target = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(target))
        {
            canvas.Clear(SKColors.Black);
            if (decoded.Width <= width && decoded.Height <= height)
            {
                canvas.DrawBitmap(decoded, (width - decoded.Width) / 2, (height - decoded.Height) / 2);
            }
            else
            {
                double scale = Math.Max(width / (double)decoded.Width, height / (double)decoded.Height);
                float w = (float)(decoded.Width * scale), h = (float)(decoded.Height * scale);
                using var image = SKImage.FromBitmap(decoded);
                canvas.DrawImage(image, SKRect.Create((width - w) / 2, (height - h) / 2, w, h), Bilinear);
            }
        }
        var pixels = new byte[shape.Channels * width * height];
        int plane = width * height;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var colour = target.GetPixel(x, y);
                int at = (y * width) + x;
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
        return pixels;
    }

    /// <summary>RGBA rows to R, G, B planes, with the view's shift (zero outside) and flip.</summary>
    private static void ToPlanes(ReadOnlySpan<byte> rgba, int size, ViewGeometry view, Span<byte> planes)
    {
        int plane = size * size;
        for (int y = 0; y < size; y++)
        {
            int sy = y + view.ShiftY;
            for (int x = 0; x < size; x++)
            {
                int sx = x + view.ShiftX;
                int o = (y * size) + (view.Flip ? size - 1 - x : x);
                if (sy < 0 || sy >= size || sx < 0 || sx >= size)
                {
                    planes[o] = 0;
                    planes[plane + o] = 0;
                    planes[(2 * plane) + o] = 0;
                    continue;
                }
                int i = ((sy * size) + sx) * 4;
                planes[o] = rgba[i];
                planes[plane + o] = rgba[i + 1];
                planes[(2 * plane) + o] = rgba[i + 2];
            }
        }
    }
}
