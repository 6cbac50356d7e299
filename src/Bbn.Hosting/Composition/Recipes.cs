using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace Bbn.Hosting.Composition;

/// <summary>A shipped set of settings (recipes/NAME.json beside the host): the paper setup it reproduces and the figure it targets.</summary>
/// <param name="Name">What --recipe takes: the file's name without .json.</param>
/// <param name="Path">The file.</param>
/// <param name="Description">The setup, from the file's Recipe:Description.</param>
/// <param name="Target">The published figure, from Recipe:Target.</param>
public sealed record Recipe(string Name, string Path, string Description, string Target);

/// <summary>A recipe that cannot be found or read; its message is the one line the user sees.</summary>
public sealed class RecipeException(string message) : Exception(message);

/// <summary>
/// The recipes: listed by the recipes verb and layered by --recipe over appsettings.json, under the
/// environment and the command line (which still override any of its settings).
/// </summary>
public static class Recipes
{
    /// <summary>The setting --recipe fills.</summary>
    public const string Setting = "Bbn:Recipe";

    public static string Folder => System.IO.Path.Combine(AppContext.BaseDirectory, "recipes");

    /// <summary>Every recipe in <see cref="Folder"/>, by name; throws <see cref="RecipeException"/> for one that does not parse.</summary>
    public static IReadOnlyList<Recipe> All() => !Directory.Exists(Folder) ? [] :
        [.. Directory.EnumerateFiles(Folder, "*.json").Order(StringComparer.Ordinal).Select(Read)];

    /// <summary>The recipe a name (or a path to a .json file) stands for.</summary>
    public static Recipe Resolve(string nameOrPath)
    {
        bool isPath = nameOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || nameOrPath.Contains('/', StringComparison.Ordinal);
        string path = isPath ? System.IO.Path.GetFullPath(nameOrPath) : System.IO.Path.Combine(Folder, nameOrPath + ".json");
        if (File.Exists(path)) return Read(path);
        if (isPath) throw new RecipeException($"Recipe error: {path} does not exist. Give a recipe's name (list them with the recipes verb) or the path of a JSON settings file.");
        var names = Directory.Exists(Folder) ? Directory.EnumerateFiles(Folder, "*.json").Select(f => System.IO.Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal).ToArray() : [];
        throw new RecipeException($"Recipe error: '{nameOrPath}' is not a recipe. Recipes: {(names.Length == 0 ? "none in " + Folder : string.Join(", ", names))} (the recipes verb lists them with their targets).");
    }

    /// <summary>Reads and checks a recipe file: JSON (else the line and column), an object with a Bbn section.</summary>
    public static Recipe Read(string path)
    {
        string name = System.IO.Path.GetFileNameWithoutExtension(path);
        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("Bbn", out var bbn) || bbn.ValueKind != JsonValueKind.Object)
                throw new RecipeException($"Recipe error: {path} has no \"Bbn\" object: a recipe is {{ \"Recipe\": {{ \"Description\", \"Target\" }}, \"Bbn\": {{ settings as in appsettings.json }} }}.");
            string Text(string key) => root.TryGetProperty("Recipe", out var r) && r.ValueKind == JsonValueKind.Object
                && r.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
            return new Recipe(name, path, Text("Description"), Text("Target"));
        }
        catch (JsonException e)
        {
            string reason = e.Message;
            int position = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (position > 0) reason = reason[..position].Trim();
            // System.Text.Json counts lines and bytes from 0.
            throw new RecipeException($"Recipe error: {path} does not parse at line {(e.LineNumber ?? 0) + 1}, column {(e.BytePositionInLine ?? 0) + 1}: {reason} Fix the file (it must be JSON) and run again.");
        }
        catch (IOException e)
        {
            throw new RecipeException($"Recipe error: {path} cannot be read: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new RecipeException($"Recipe error: {path} cannot be read: {e.Message}");
        }
    }

    /// <summary>
    /// Layers the recipe that <see cref="Setting"/> names (if any) just above the JSON files and below the
    /// environment and the command line. Returns it, or null.
    /// </summary>
    public static Recipe? Layer(IConfigurationBuilder builder, IConfiguration current)
    {
        string? selected = current[Setting];
        if (string.IsNullOrWhiteSpace(selected)) return null;
        var recipe = Resolve(selected);
        var source = new JsonConfigurationSource
        {
            Path = System.IO.Path.GetFileName(recipe.Path),
            FileProvider = new PhysicalFileProvider(System.IO.Path.GetDirectoryName(recipe.Path)!),
            Optional = false,
            ReloadOnChange = false,
        };
        ConfigurationLayers.InsertBelowOverrides(builder, source);
        return recipe;
    }

    /// <summary>The recipes verb's table: name, target, description.</summary>
    public static void Write(IReadOnlyList<Recipe> recipes, TextWriter output)
    {
        int width = recipes.Select(r => r.Name.Length).Append("NAME".Length).Max();
        int targetWidth = recipes.Select(r => r.Target.Length).Append("TARGET".Length).Max();
        output.WriteLine($"{"NAME".PadRight(width)}  {"TARGET".PadRight(targetWidth)}  DESCRIPTION");
        foreach (var r in recipes) output.WriteLine($"{r.Name.PadRight(width)}  {r.Target.PadRight(targetWidth)}  {r.Description}");
        output.WriteLine($"{recipes.Count} recipes in {Folder}. Train one with: train --recipe NAME [--Bbn:Section:Key=value ...] (the settings given override the recipe's).");
    }
}
