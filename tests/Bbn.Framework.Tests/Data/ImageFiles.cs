using System.Text.Json;
using SkiaSharp;

namespace Bbn.Framework.Tests;

/// <summary>Small JPEG/PNG files and BBN-format iNaturalist annotations, written with SkiaSharp.</summary>
internal static class ImageFiles
{
    /// <summary>A class-coloured image: class c gets a distinct colour, with a gradient so that crops differ.</summary>
    public static void Write(string path, int classIndex, int width = 48, int height = 40)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(classIndex * 80 % 256), (byte)(x * 255 / width), (byte)(255 - (classIndex * 60 % 256))));
        }
        using var image = SKImage.FromBitmap(bitmap);
        var format = path.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg;
        using var data = image.Encode(format, 90);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>root/train/&lt;class&gt;/ and root/test/&lt;class&gt;/ with JPEGs and PNGs.</summary>
    public static string WriteFolders(string root, int[] trainPerClass, int testPerClass)
    {
        for (int c = 0; c < trainPerClass.Length; c++)
        {
            for (int i = 0; i < trainPerClass[c]; i++) Write(Path.Combine(root, "train", $"class-{(char)('a' + c)}", $"{i:D3}.{(i % 2 == 0 ? "jpg" : "png")}"), c);
            for (int i = 0; i < testPerClass; i++) Write(Path.Combine(root, "test", $"class-{(char)('a' + c)}", $"{i:D3}.jpg"), c);
        }
        return root;
    }

    /// <summary>Images under root/images/&lt;class&gt;/ and the annotation files train.json and val.json in root.</summary>
    public static string WriteINaturalist(string root, int[] trainPerClass, int valPerClass)
    {
        var train = new List<object>();
        var val = new List<object>();
        for (int c = 0; c < trainPerClass.Length; c++)
        {
            for (int i = 0; i < trainPerClass[c]; i++)
            {
                string fpath = $"images/{c}/train-{i}.jpg";
                Write(Path.Combine(root, fpath), c, 40 + (8 * i % 24), 36);
                train.Add(new { fpath, image_id = train.Count, category_id = c, im_height = 36, im_width = 40 });
            }
            for (int i = 0; i < valPerClass; i++)
            {
                string fpath = $"images/{c}/val-{i}.jpg";
                Write(Path.Combine(root, fpath), c);
                val.Add(new { fpath, image_id = val.Count, category_id = c });
            }
        }
        WriteJson(Path.Combine(root, "train.json"), new { annotations = train, num_classes = trainPerClass.Length });
        WriteJson(Path.Combine(root, "val.json"), new { annotations = val, num_classes = trainPerClass.Length });
        return root;
    }

    public static void WriteJson(string path, object value) => File.WriteAllText(path, JsonSerializer.Serialize(value));
}
