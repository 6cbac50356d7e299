using Bbn.Abstractions;

namespace Bbn.Plugins.Datasets;

/// <summary>
/// Image folders, the layout people already have: Root/train/&lt;class name&gt;/&lt;images&gt; and
/// Root/test/&lt;class name&gt;/&lt;images&gt; (the split folders are Bbn:Dataset:Train / Test), and, when it
/// exists, Root/val/&lt;class name&gt;/&lt;images&gt; as the validation split (Bbn:Dataset:Validation). Classes are the
/// training split's folder names in ordinal order; files with an image extension are taken from
/// each class folder and its subfolders.
/// </summary>
public sealed class ImageFolder(string trainFolder, string testFolder, string validationFolder, ImageRecipe recipe, ChannelNormalization normalization) : IDatasetSource
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif" };

    public static ImageFolder Create(ComponentContext context)
    {
        string root = context.Get<string?>("Root", null)
            ?? throw context.Invalid("Root", null, "the folder that holds the train and test folders (--Bbn:Dataset:Root=<folder>)");
        return new ImageFolder(Path.Combine(root, context.Get("Train", "train")), Path.Combine(root, context.Get("Test", "test")),
            Path.Combine(root, context.Get("Validation", "val")), FileDatasetSettings.Recipe(context), FileDatasetSettings.Normalization(context));
    }

    public LabelledImages Load(DatasetSplit split) =>
        throw new NotSupportedException("image-folder is a file dataset: the host reads it through ListFiles.");

    public ImageFileList? ListFiles(DatasetSplit split)
    {
        string[] classes = ClassFolders(trainFolder).Select(Path.GetFileName).ToArray()!;
        string folder = split switch { DatasetSplit.Train => trainFolder, DatasetSplit.Validation => validationFolder, _ => testFolder };
        var files = new List<ImageFile>();
        foreach (string classFolder in ClassFolders(folder))
        {
            string name = Path.GetFileName(classFolder);
            int label = Array.IndexOf(classes, name);
            if (label < 0)
                throw new InvalidDataException($"{classFolder} is a class the training split ({trainFolder}) does not have. Add it there or remove it here.");
            var images = Directory.EnumerateFiles(classFolder, "*", SearchOption.AllDirectories)
                .Where(f => Extensions.Contains(Path.GetExtension(f)))
                .Order(StringComparer.Ordinal)
                .ToList();
            if (images.Count == 0)
                throw new InvalidDataException($"Class folder {classFolder} holds no images ({string.Join(", ", Extensions.Order(StringComparer.Ordinal))}). Add images or remove the folder.");
            files.AddRange(images.Select(f => new ImageFile(Path.GetFullPath(f), label, Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))));
        }
        return new ImageFileList(files, classes, normalization, recipe);
    }

    public bool Provides(DatasetSplit split) => split != DatasetSplit.Validation || Directory.Exists(validationFolder);

    private static string[] ClassFolders(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DatasetNotFoundException(
                $"Image folder {folder} was not found. Lay the images out as <Root>/train/<class>/<image> and <Root>/test/<class>/<image>, " +
                "and set Bbn:Dataset:Root (and Bbn:Dataset:Train / Test for other split folder names).");
        string[] classes = Directory.GetDirectories(folder).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length == 0)
            throw new InvalidDataException($"{folder} has no class folders. Put each class's images in {Path.Combine(folder, "<class name>")}.");
        return classes;
    }
}
