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
        string name = context.Get("Recipe", FollowImages);
        bool flip = context.Get("HorizontalFlip", true);
        // Both recipes' sizes are read whichever is chosen: a setting of the other recipe is then ignored, not reported as unknown.
        int resizeTo = (int)context.GetInRange("ResizeTo", 256, 8, 8192);
        int padding = (int)context.GetInRange("Padding", 4, 0, 256);
        return name switch
        {
            "imagenet" => ImageRecipe.ImageNet((int)context.GetInRange("Size", 224, 8, 4096), resizeTo) with { HorizontalFlip = flip },
            "cifar" => ImageRecipe.Cifar((int)context.GetInRange("Size", 32, 8, 4096), padding) with { HorizontalFlip = flip },
            FollowImages => ImageRecipe.FollowImages() with { HorizontalFlip = flip },
            _ => throw context.Invalid("Recipe", name, "auto (chosen from the images' size), imagenet (random resized crop 224, scale 0.08-1, ratio 3/4-4/3, flip; test: resize 256, centre crop 224) or cifar (resize to Size, pad 4 and random crop, flip)"),
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
