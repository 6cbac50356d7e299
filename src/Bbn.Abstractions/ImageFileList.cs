namespace Bbn.Abstractions;

/// <summary>
/// The encoded images (JPEG, PNG, ...) of one split, read from disk while training. (Contracts 1.2.)
/// </summary>
/// <param name="Files">Every image of the split with its class.</param>
/// <param name="ClassNames">One name per class; the class count is its length.</param>
/// <param name="Normalization">Per-channel mean and standard deviation of pixel/255 (three channels: the images are decoded as RGB).</param>
/// <param name="Recipe">How an image becomes a training or test view.</param>
public sealed record ImageFileList(IReadOnlyList<ImageFile> Files, IReadOnlyList<string> ClassNames, ChannelNormalization Normalization, ImageRecipe Recipe);

/// <summary>One image file.</summary>
/// <param name="Path">The absolute path.</param>
/// <param name="Label">The class index.</param>
/// <param name="Id">A stable identifier within the dataset (the path relative to the dataset root), used by subset manifests.</param>
public sealed record ImageFile(string Path, int Label, string Id);

/// <summary>How a decoded image becomes the network's input (both views are <see cref="Size"/> x <see cref="Size"/>).</summary>
/// <param name="Kind">The augmentation family.</param>
/// <param name="Size">The side of the network's input (224 for the ImageNet recipe).</param>
/// <param name="ResizeTo">Test view of <see cref="ImageRecipeKind.RandomResizedCrop"/>: the shorter side is resized to this, then the centre <see cref="Size"/> square is cropped (256).</param>
/// <param name="MinScale">Random resized crop: the smallest fraction of the image's area (0.08).</param>
/// <param name="MaxScale">Random resized crop: the largest fraction of the area (1).</param>
/// <param name="MinRatio">Random resized crop: the smallest aspect ratio (3/4).</param>
/// <param name="MaxRatio">Random resized crop: the largest aspect ratio (4/3).</param>
/// <param name="Padding">Pad-and-crop: the zero padding on each side before the random crop (4).</param>
/// <param name="HorizontalFlip">Flip half of the training views left-right.</param>
public sealed record ImageRecipe(
    ImageRecipeKind Kind,
    int Size,
    int ResizeTo = 256,
    double MinScale = 0.08,
    double MaxScale = 1.0,
    double MinRatio = 3.0 / 4.0,
    double MaxRatio = 4.0 / 3.0,
    int Padding = 4,
    bool HorizontalFlip = true)
{
    /// <summary>The iNaturalist / ImageNet recipe: random resized crop 224 (scale 0.08-1, ratio 3/4-4/3) + flip; test: resize 256, centre crop 224.</summary>
    public static ImageRecipe ImageNet(int size = 224, int resizeTo = 256) => new(ImageRecipeKind.RandomResizedCrop, size, resizeTo);

    /// <summary>The CIFAR recipe on files: resize to <paramref name="size"/> squared, random crop with zero padding + flip; test: the resized image.</summary>
    public static ImageRecipe Cifar(int size = 32, int padding = 4) => new(ImageRecipeKind.PadCrop, size, size, Padding: padding);

    /// <summary>Leaves the choice to the host: <see cref="Cifar"/> at the images' own size for small images, <see cref="ImageNet"/> for large ones (contracts 1.6).</summary>
    public static ImageRecipe FollowImages() => new(ImageRecipeKind.FollowImages, 0, 0);
}

/// <summary>The augmentation families the host applies to files.</summary>
public enum ImageRecipeKind
{
    /// <summary>Random resized crop + flip for training; resize the shorter side + centre crop for testing.</summary>
    RandomResizedCrop,

    /// <summary>Resize to a square, random crop with zero padding + flip for training; the resized square for testing.</summary>
    PadCrop,

    /// <summary>No recipe was chosen: the host picks one from the training images' size and logs why (contracts 1.6).</summary>
    FollowImages,
}
