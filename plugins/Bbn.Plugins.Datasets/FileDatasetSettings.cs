using Bbn.Abstractions;

namespace Bbn.Plugins.Datasets;

/// <summary>
/// The settings that file datasets (inaturalist, image-folder) share: the augmentation recipe and
/// the normalisation, read from the dataset's section (Bbn:Dataset).
/// </summary>
internal static class FileDatasetSettings
{
    public static readonly ChannelNormalization ImageNetNormalization = new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>The value of an unset Recipe: the host chooses from the images' size.</summary>
    public const string FollowImages = "auto";

    /// <summary>Recipe = auto (default: the host chooses from the images' size), imagenet (random resized crop) or cifar (resize + pad-and-crop); Size, ResizeTo, Padding, HorizontalFlip.</summary>
    public static ImageRecipe Recipe(ComponentContext context)
    {
        // Both recipes' sizes are bound whichever is chosen: a setting of the other recipe is then ignored, not reported as unknown.
        var o = context.Bind<FileRecipeOptions>();
        return o.Recipe switch
        {
            "imagenet" => ImageRecipe.ImageNet(o.Size ?? 224, o.ResizeTo) with { HorizontalFlip = o.HorizontalFlip },
            "cifar" => ImageRecipe.Cifar(o.Size ?? 32, o.Padding) with { HorizontalFlip = o.HorizontalFlip },
            FollowImages => ImageRecipe.FollowImages() with { HorizontalFlip = o.HorizontalFlip },
            _ => throw context.Invalid("Recipe", o.Recipe, "auto (chosen from the images' size), imagenet (random resized crop 224, scale 0.08-1, ratio 3/4-4/3, flip; test: resize 256, centre crop 224) or cifar (resize to Size, pad 4 and random crop, flip)"),
        };
    }

    /// <summary>Mean:0..2 and Std:0..2 when both are given; ImageNet's otherwise.</summary>
    public static ChannelNormalization Normalization(ComponentContext context)
    {
        float[] mean = context.Get<float[]?>("Mean", null) ?? [];
        float[] std = context.Get<float[]?>("Std", null) ?? [];
        if (mean.Length == 0 && std.Length == 0) return ImageNetNormalization;
        if (mean.Length != 3 || std.Length != 3 || std.Any(s => s <= 0))
            throw context.Invalid("Mean", string.Join(",", mean), "three means and three positive deviations (Mean:0..2, Std:0..2), or neither for ImageNet's");
        return new ChannelNormalization(mean, std);
    }

    /// <summary>
    /// The absolute path of <paramref name="path"/> (relative to <paramref name="root"/>, or absolute
    /// inside it) and its id (the path relative to the root, with '/'); null when it escapes the root.
    /// </summary>
    public static (string Path, string Id)? Inside(string root, string path)
    {
        string fullRoot = Path.GetFullPath(root);
        string full = Path.GetFullPath(Path.Combine(fullRoot, path));
        string relative = Path.GetRelativePath(fullRoot, full);
        if (relative == "." || relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)) return null;
        return (full, relative.Replace(Path.DirectorySeparatorChar, '/'));
    }
}

/// <summary>The augmentation recipe's settings of a file dataset's section.</summary>
public sealed class FileRecipeOptions
{
    public string Recipe { get; set; } = FileDatasetSettings.FollowImages;

    public bool HorizontalFlip { get; set; } = true;

    /// <summary>The training crop's side; null: the recipe's (imagenet 224, cifar 32).</summary>
    [System.ComponentModel.DataAnnotations.Range(8, 4096)]
    public int? Size { get; set; }

    /// <summary>imagenet: the test images' shorter side before the centre crop.</summary>
    [System.ComponentModel.DataAnnotations.Range(8, 8192)]
    public int ResizeTo { get; set; } = 256;

    /// <summary>cifar: the padding before the random crop.</summary>
    [System.ComponentModel.DataAnnotations.Range(0, 256)]
    public int Padding { get; set; } = 4;
}
