using Bbn.Core.Data;
using Bbn.Core.Training;
using static TorchSharp.torch;

namespace Bbn.Hosting.Inference;

/// <summary>
/// The image files a `predict` call names, and each one as the trained network's input: the test
/// view of the training recipe for file datasets (resize + centre crop), else <see cref="ImageDecoder.Fit"/>.
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

    /// <summary>uint8 [C, H, W]; throws <see cref="InvalidDataException"/> or <see cref="FileNotFoundException"/> naming the file.</summary>
    public static Tensor Read(string path, TrainingData data)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist.", path);
        var shape = data.Shape;
        if (data.Recipe is not { } recipe) return tensor(ImageDecoder.Fit(path, shape), [shape.Channels, shape.Height, shape.Width]);
        var planes = new byte[3 * recipe.Size * recipe.Size];
        ImageDecoder.Render(path, recipe.Size, (w, h) => ImageViews.Test(recipe, w, h), planes);
        return tensor(planes, [3, recipe.Size, recipe.Size]);
    }
}
