using Bbn.Core.Runs;
using System.Globalization;
using System.Text.Json;

namespace Bbn.Core.Data;

/// <summary>
/// The exact training subset of a run (manifest.json in the run directory): the class names and,
/// per class, the ids of the images kept: the index in the source split for in-memory datasets
/// (CIFAR, Fashion-MNIST), the path relative to the dataset root for file datasets. Given back
/// through Bbn:Dataset:Manifest, it reproduces the same subset elsewhere. When the run held out a
/// validation split, its images are listed the same way under "validation", with how they were drawn.
/// </summary>
public sealed class SubsetManifest
{
    public const string FileName = "manifest.json";

    public SubsetManifest(string dataset, IReadOnlyList<string> classNames, IReadOnlyList<IReadOnlyList<string>> images)
    {
        Dataset = dataset;
        ClassNames = classNames;
        Images = images;
    }

    public string Dataset { get; }
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Per class (in class order), the ids of its images.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Images { get; }

    /// <summary>Per class, the ids of the validation images; null when the run held none out.</summary>
    public IReadOnlyList<IReadOnlyList<string>>? Validation { get; init; }

    /// <summary>How the validation split was drawn (settings and source), for the reader; null without one.</summary>
    public string? ValidationRule { get; init; }

    /// <summary>
    /// Where the validation images are: <see cref="ValidationDraw.LeftOut"/> or <see cref="ValidationDraw.StratifiedSource"/>
    /// (ids of the training split), <see cref="ValidationDraw.DatasetSource"/> (ids of the dataset's own validation split).
    /// </summary>
    public string? ValidationSource { get; init; }

    /// <summary>This manifest with the validation images at <paramref name="indices"/> of a split with <paramref name="labels"/> and <paramref name="ids"/>.</summary>
    public SubsetManifest WithValidation(IReadOnlyList<int> labels, IReadOnlyList<string> ids, IEnumerable<int> indices, string source, string rule)
    {
        var perClass = ClassNames.Select(_ => new List<string>()).ToArray();
        foreach (int i in indices) perClass[labels[i]].Add(ids[i]);
        return new SubsetManifest(Dataset, ClassNames, Images) { Validation = perClass, ValidationSource = source, ValidationRule = rule };
    }

    /// <summary>The manifest of the images at <paramref name="indices"/> of a split whose images have <paramref name="ids"/>.</summary>
    public static SubsetManifest Of(string dataset, IReadOnlyList<string> classNames, IReadOnlyList<int> labels, IReadOnlyList<string> ids, IEnumerable<int> indices)
    {
        var perClass = classNames.Select(_ => new List<string>()).ToArray();
        foreach (int i in indices) perClass[labels[i]].Add(ids[i]);
        return new SubsetManifest(dataset, classNames, perClass);
    }

    /// <summary>Index ids ("0", "1", ...) for an in-memory split of <paramref name="count"/> images.</summary>
    public static string[] IndexIds(int count) => Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();

    public void Write(string path)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("dataset", Dataset);
            json.WriteNumber("images_total", Images.Sum(c => c.Count));
            json.WriteStartArray("class_names");
            foreach (string name in ClassNames) json.WriteStringValue(name);
            json.WriteEndArray();
            json.WriteStartArray("class_counts");
            foreach (var ids in Images) json.WriteNumberValue(ids.Count);
            json.WriteEndArray();
            WriteImages(json, "images", Images);
            if (Validation is not null)
            {
                json.WriteStartObject("validation");
                json.WriteString("source", ValidationSource);
                json.WriteString("rule", ValidationRule);
                json.WriteNumber("images_total", Validation.Sum(c => c.Count));
                json.WriteStartArray("class_counts");
                foreach (var ids in Validation) json.WriteNumberValue(ids.Count);
                json.WriteEndArray();
                WriteImages(json, "images", Validation);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        AtomicFile.WriteAllText(path, System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static void WriteImages(Utf8JsonWriter json, string name, IReadOnlyList<IReadOnlyList<string>> images)
    {
        json.WriteStartArray(name);
        foreach (var ids in images)
        {
            json.WriteStartArray();
            foreach (string id in ids)
            {
                if (int.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out int index)) json.WriteNumberValue(index);
                else json.WriteStringValue(id);
            }
            json.WriteEndArray();
        }
        json.WriteEndArray();
    }

    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a manifest.</exception>
    public static SubsetManifest Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Bbn:Dataset:Manifest = '{path}' does not exist. Give the manifest.json of an earlier run (in its run directory), or drop the setting to draw the subset.", path);
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            string dataset = root.TryGetProperty("dataset", out var d) ? d.GetString() ?? "" : "";
            var names = root.GetProperty("class_names").EnumerateArray().Select(e => e.GetString() ?? throw new InvalidDataException("a class name is null")).ToArray();
            var images = ReadImages(root.GetProperty("images"), names.Length);
            IReadOnlyList<IReadOnlyList<string>>? validation = null;
            string? rule = null, source = null;
            if (root.TryGetProperty("validation", out var v) && v.ValueKind == JsonValueKind.Object)
            {
                validation = ReadImages(v.GetProperty("images"), names.Length);
                rule = v.TryGetProperty("rule", out var r) ? r.GetString() : null;
                source = v.TryGetProperty("source", out var f) ? f.GetString() : null;
            }
            return new SubsetManifest(dataset, names, images) { Validation = validation, ValidationRule = rule, ValidationSource = source };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or InvalidDataException)
        {
            throw new InvalidDataException($"Bbn:Dataset:Manifest {path} is not a subset manifest ({e.Message}). Expected the manifest.json a run writes: class_names and images (ids per class).", e);
        }
    }

    private static IReadOnlyList<string>[] ReadImages(JsonElement element, int classCount)
    {
        var images = element.EnumerateArray().Select(c => (IReadOnlyList<string>)c.EnumerateArray().Select(Id).ToArray()).ToArray();
        if (images.Length != classCount)
            throw new InvalidDataException($"it names {classCount} classes but lists images for {images.Length}");
        return images;
    }

    private static string Id(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Number => element.GetInt32().ToString(CultureInfo.InvariantCulture),
        JsonValueKind.String => element.GetString()!,
        _ => throw new InvalidDataException($"an image id is {element.ValueKind}, expected a number or a string"),
    };

    /// <summary>
    /// The indices, in a split with <paramref name="labels"/> and <paramref name="ids"/>, of this
    /// manifest's images (grouped by class, in manifest order).
    /// </summary>
    /// <exception cref="InvalidDataException">The classes differ, an id is unknown, listed twice or filed under another class.</exception>
    public int[] Resolve(IReadOnlyList<string> classNames, IReadOnlyList<int> labels, IReadOnlyList<string> ids, string path) =>
        Resolve(Images, classNames, labels, ids, path);

    /// <summary>The indices of the manifest's validation images, as <see cref="Resolve(IReadOnlyList{string}, IReadOnlyList{int}, IReadOnlyList{string}, string)"/>; null without them.</summary>
    public int[]? ResolveValidation(IReadOnlyList<string> classNames, IReadOnlyList<int> labels, IReadOnlyList<string> ids, string path) =>
        Validation is null ? null : Resolve(Validation, classNames, labels, ids, path);

    private int[] Resolve(IReadOnlyList<IReadOnlyList<string>> images, IReadOnlyList<string> classNames, IReadOnlyList<int> labels, IReadOnlyList<string> ids, string path)
    {
        if (!ClassNames.SequenceEqual(classNames))
        {
            int first = Enumerable.Range(0, Math.Max(ClassNames.Count, classNames.Count))
                .First(i => i >= ClassNames.Count || i >= classNames.Count || ClassNames[i] != classNames[i]);
            throw new InvalidDataException(
                $"Manifest {path} does not match the dataset's classes: it has {ClassNames.Count} classes, the dataset {classNames.Count}; " +
                $"first difference at class {first} ('{(first < ClassNames.Count ? ClassNames[first] : "-")}' vs '{(first < classNames.Count ? classNames[first] : "-")}'). " +
                "Use the manifest with the dataset (and files) it was written for.");
        }
        var byId = new Dictionary<string, int>(ids.Count, StringComparer.Ordinal);
        for (int i = 0; i < ids.Count; i++) byId[ids[i]] = i;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var indices = new List<int>();
        for (int c = 0; c < images.Count; c++)
        {
            foreach (string id in images[c])
            {
                if (!byId.TryGetValue(id, out int index))
                    throw new InvalidDataException($"Manifest {path}: image '{id}' (class '{ClassNames[c]}') is not in the dataset's training split. Use the manifest with the files it was written for.");
                if (labels[index] != c)
                    throw new InvalidDataException($"Manifest {path}: image '{id}' is listed under class '{ClassNames[c]}' but the dataset labels it '{classNames[labels[index]]}'.");
                if (!seen.Add(id))
                    throw new InvalidDataException($"Manifest {path}: image '{id}' is listed twice.");
                indices.Add(index);
            }
        }
        return indices.ToArray();
    }
}
