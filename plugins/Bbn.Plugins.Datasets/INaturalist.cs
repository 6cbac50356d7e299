using System.Text.Json;
using Bbn.Abstractions;

namespace Bbn.Plugins.Datasets;

/// <summary>
/// iNaturalist (2017/2018) in the official BBN annotation format: one JSON file per split,
/// <c>{"annotations": [{"fpath": ..., "category_id": ..., ...}], "num_classes": N}</c>, the images
/// read from disk under Root (an fpath is relative to Root, or absolute inside it). Optional
/// <c>categories: [{id, name}]</c> give the class names. The data are long-tailed already. The
/// official val file is the benchmark's test split; a validation split is another annotation file
/// (Bbn:Dataset:Validation), or else the host holds one out of the training images.
/// </summary>
public sealed class INaturalist(string root, string trainFile, string testFile, string? validationFile, ImageRecipe recipe, ChannelNormalization normalization) : IDatasetSource
{
    public static INaturalist Create(ComponentContext context)
    {
        string root = context.Get<string?>("Root", null)
            ?? throw context.Invalid("Root", null, "the folder the annotations' fpaths are relative to (--Bbn:Dataset:Root=<folder>)");
        string train = Path.Combine(root, context.Get("Train", "iNat18_train.json"));
        string test = Path.Combine(root, context.Get("Test", "iNat18_val.json"));
        string? validation = context.Get<string?>("Validation", null) is { Length: > 0 } v ? Path.Combine(root, v) : null;
        if (validation is not null && Path.GetFullPath(validation) == Path.GetFullPath(test))
            throw context.Invalid("Validation", validation, "an annotation file other than the test split's (Bbn:Dataset:Test): nothing is chosen on the test set");
        return new INaturalist(root, train, test, validation, FileDatasetSettings.Recipe(context), FileDatasetSettings.Normalization(context));
    }

    public LabelledImages Load(DatasetSplit split) =>
        throw new NotSupportedException("inaturalist is a file dataset: the host reads it through ListFiles.");

    public ImageFileList? ListFiles(DatasetSplit split)
    {
        string file = split switch
        {
            DatasetSplit.Train => trainFile,
            DatasetSplit.Validation => validationFile ?? throw new InvalidOperationException("inaturalist has no validation file (Bbn:Dataset:Validation)."),
            _ => testFile,
        };
        if (!File.Exists(file))
            throw new DatasetNotFoundException(
                $"iNaturalist annotation file {file} was not found. Give the BBN-format JSON files with Bbn:Dataset:Train and Bbn:Dataset:Test " +
                "(relative to Bbn:Dataset:Root, or absolute), and the image root with Bbn:Dataset:Root.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(file));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file} is not valid JSON: {e.Message} Expected the BBN annotation format {{\"annotations\": [{{\"fpath\", \"category_id\"}}], \"num_classes\"}}.", e);
        }
        using (document)
        {
            return Parse(file, document.RootElement);
        }
    }

    public bool Provides(DatasetSplit split) => split != DatasetSplit.Validation || validationFile is not null;

    private ImageFileList Parse(string file, JsonElement document)
    {
        if (document.ValueKind != JsonValueKind.Object
            || !document.TryGetProperty("annotations", out var annotations) || annotations.ValueKind != JsonValueKind.Array
            || !document.TryGetProperty("num_classes", out var numClasses) || !numClasses.TryGetInt32(out int classCount) || classCount < 1)
            throw new InvalidDataException($"{file} is not in the BBN annotation format: it needs an \"annotations\" array and a positive integer \"num_classes\".");
        var files = new List<ImageFile>(annotations.GetArrayLength());
        int index = 0;
        foreach (var entry in annotations.EnumerateArray())
        {
            string where = $"{file}: annotations[{index}]";
            if (entry.ValueKind != JsonValueKind.Object
                || !entry.TryGetProperty("fpath", out var fpath) || fpath.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(fpath.GetString())
                || !entry.TryGetProperty("category_id", out var category) || !category.TryGetInt32(out int label))
                throw new InvalidDataException($"{where} needs a string \"fpath\" and an integer \"category_id\"; found {Shorten(entry.GetRawText())}.");
            if (label < 0 || label >= classCount)
                throw new InvalidDataException($"{where} ({fpath.GetString()}) has category_id {label}, outside 0..{classCount - 1} (num_classes = {classCount}).");
            var inside = FileDatasetSettings.Inside(root, fpath.GetString()!)
                ?? throw new InvalidDataException($"{where}: fpath '{fpath.GetString()}' escapes the dataset root {Path.GetFullPath(root)}. Make the fpaths relative to Bbn:Dataset:Root (or point Root at the folder that holds them).");
            files.Add(new ImageFile(inside.Path, label, inside.Id));
            index++;
        }
        if (files.Count == 0) throw new InvalidDataException($"{file} lists no images (its \"annotations\" array is empty).");
        return new ImageFileList(files, ClassNames(document, classCount), normalization, recipe);
    }

    /// <summary>From an optional "categories" array of {id, name}; the category id otherwise.</summary>
    private static string[] ClassNames(JsonElement root, int classCount)
    {
        var names = Enumerable.Range(0, classCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        if (root.TryGetProperty("categories", out var categories) && categories.ValueKind == JsonValueKind.Array)
        {
            foreach (var category in categories.EnumerateArray())
            {
                if (category.ValueKind == JsonValueKind.Object && category.TryGetProperty("id", out var id) && id.TryGetInt32(out int i) && i >= 0 && i < classCount
                    && category.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
                    names[i] = name.GetString()!;
            }
        }
        return names;
    }

    private static string Shorten(string json) => json.Length <= 120 ? json : json[..120] + "...";
}
