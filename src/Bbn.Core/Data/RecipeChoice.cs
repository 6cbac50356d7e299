using Bbn.Abstractions;
using SkiaSharp;

namespace Bbn.Core.Data;

/// <summary>
/// The recipe of a file dataset that was given none (<see cref="ImageRecipeKind.FollowImages"/>): small
/// images (at most <see cref="SmallSide"/> pixels a side) keep their size under the CIFAR recipe, large
/// ones get the ImageNet crops. Scaling 32x32 images to 224x224 multiplies a step's memory and time by
/// 49 for no information.
/// </summary>
public static class RecipeChoice
{
    public const int SmallSide = 64;
    private const int Probed = 32;

    /// <summary>The recipe for <paramref name="train"/>'s images, and the sentence that says why (null when the dataset chose one itself).</summary>
    public static (ImageRecipe Recipe, string? Why) For(ImageFileList train)
    {
        if (train.Recipe.Kind != ImageRecipeKind.FollowImages) return (train.Recipe, null);
        int largest = 0, probed = 0;
        foreach (var file in train.Files.Take(Probed))
        {
            using var codec = SKCodec.Create(file.Path);
            if (codec is null) continue;
            largest = Math.Max(largest, Math.Max(codec.Info.Width, codec.Info.Height));
            probed++;
        }
        if (probed > 0 && largest <= SmallSide)
            return (ImageRecipe.Cifar(largest) with { HorizontalFlip = train.Recipe.HorizontalFlip },
                $"Bbn:Dataset:Recipe is not set and the images are small (at most {largest} pixels a side, {probed} probed): the cifar recipe at {largest}x{largest}, padding 4. Set Bbn:Dataset:Recipe=imagenet for 224x224 crops.");
        return (ImageRecipe.ImageNet() with { HorizontalFlip = train.Recipe.HorizontalFlip },
            $"Bbn:Dataset:Recipe is not set and the images are large (up to {largest} pixels a side, {probed} probed): the imagenet recipe, 224x224 crops. Set Bbn:Dataset:Recipe=cifar with Bbn:Dataset:Size to keep them small.");
    }

    /// <summary><paramref name="list"/> under <paramref name="recipe"/>.</summary>
    public static ImageFileList With(ImageFileList list, ImageRecipe recipe) => list.Recipe == recipe ? list : list with { Recipe = recipe };
}
