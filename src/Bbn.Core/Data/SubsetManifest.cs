using System.Globalization;
using System.Text.Json;

namespace Bbn.Core.Data;

/// <summary>
/// The exact training subset of a run (manifest.json in the run directory): the class names and,
/// per class, the ids of the images kept: the index in the source split for in-memory datasets
/// (CIFAR, Fashion-MNIST), the path relative to the dataset root for file datasets. Given back
/// through Bbn:Dataset:Manifest, it reproduces the same subset elsewhere.
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
            json.WriteStartArray("images");
            foreach (var ids in Images)
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
            json.WriteEndObject();
        }
        AtomicFile.WriteAllText(path, System.Text.Encoding.UTF8.GetString(stream.ToArray()));
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
            var images = root.GetProperty("images").EnumerateArray()
                .Select(c => (IReadOnlyList<string>)c.EnumerateArray().Select(Id).ToArray()).ToArray();
            if (images.Length != names.Length)
                throw new InvalidDataException($"it names {names.Length} classes but lists images for {images.Length}");
            return new SubsetManifest(dataset, names, images);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or InvalidDataException)
        {
            throw new InvalidDataException($"Bbn:Dataset:Manifest {path} is not a subset manifest ({e.Message}). Expected the manifest.json a run writes: class_names and images (ids per class).", e);
        }
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
    public int[] Resolve(IReadOnlyList<string> classNames, IReadOnlyList<int> labels, IReadOnlyList<string> ids, string path)
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
        for (int c = 0; c < Images.Count; c++)
        {
            foreach (string id in Images[c])
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
