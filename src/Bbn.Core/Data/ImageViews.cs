using Bbn.Abstractions;

namespace Bbn.Core.Data;

/// <summary>
/// Where a view of an image comes from: a rectangle of the source image (in source pixels) scaled to
/// the recipe's square, then an optional shift with zero fill (pad-and-crop) and an optional flip.
/// </summary>
/// <param name="X">Left edge of the source rectangle.</param>
/// <param name="Y">Top edge.</param>
/// <param name="Width">Width in source pixels.</param>
/// <param name="Height">Height in source pixels.</param>
/// <param name="ShiftX">Output pixel x reads resized pixel x + ShiftX (zero outside).</param>
/// <param name="ShiftY">Output pixel y reads resized pixel y + ShiftY.</param>
/// <param name="Flip">Mirror left-right.</param>
public readonly record struct ViewGeometry(int X, int Y, int Width, int Height, int ShiftX, int ShiftY, bool Flip);

/// <summary>The training and test views of <see cref="ImageRecipe"/>s, as torchvision computes them.</summary>
public static class ImageViews
{
    public static ViewGeometry Train(ImageRecipe recipe, int width, int height, Random random)
    {
        if (recipe.Kind == ImageRecipeKind.PadCrop)
        {
            int p = recipe.Padding;
            int shiftY = random.Next((2 * p) + 1) - p;
            int shiftX = random.Next((2 * p) + 1) - p;
            bool mirrored = recipe.HorizontalFlip && random.Next(2) == 1;
            return new ViewGeometry(0, 0, width, height, shiftX, shiftY, mirrored);
        }
        var (x, y, w, h) = RandomResizedCrop(recipe, width, height, random);
        bool flip = recipe.HorizontalFlip && random.Next(2) == 1;
        return new ViewGeometry(x, y, w, h, 0, 0, flip);
    }

    public static ViewGeometry Test(ImageRecipe recipe, int width, int height)
    {
        if (recipe.Kind == ImageRecipeKind.PadCrop) return new ViewGeometry(0, 0, width, height, 0, 0, false);
        // Resize the shorter side to ResizeTo, then take the centre Size x Size: in source pixels a
        // centred square of side shorter * Size / ResizeTo.
        int side = Math.Max(1, (int)Math.Round(Math.Min(width, height) * recipe.Size / (double)recipe.ResizeTo));
        side = Math.Min(side, Math.Min(width, height));
        return new ViewGeometry((width - side) / 2, (height - side) / 2, side, side, 0, 0, false);
    }

    /// <summary>torchvision's RandomResizedCrop.get_params: ten tries at a random area and log-uniform ratio, then a centre crop.</summary>
    internal static (int X, int Y, int Width, int Height) RandomResizedCrop(ImageRecipe recipe, int width, int height, Random random)
    {
        double area = (double)width * height;
        double logMin = Math.Log(recipe.MinRatio), logMax = Math.Log(recipe.MaxRatio);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * (recipe.MinScale + (random.NextDouble() * (recipe.MaxScale - recipe.MinScale)));
            double ratio = Math.Exp(logMin + (random.NextDouble() * (logMax - logMin)));
            int w = (int)Math.Round(Math.Sqrt(target * ratio));
            int h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w > 0 && h > 0 && w <= width && h <= height)
                return (random.Next(width - w + 1), random.Next(height - h + 1), w, h);
        }
        double inRatio = width / (double)height;
        int cw, ch;
        if (inRatio < recipe.MinRatio) { cw = width; ch = (int)Math.Round(cw / recipe.MinRatio); }
        else if (inRatio > recipe.MaxRatio) { ch = height; cw = (int)Math.Round(ch * recipe.MaxRatio); }
        else { cw = width; ch = height; }
        return ((width - cw) / 2, (height - ch) / 2, cw, ch);
    }
}
