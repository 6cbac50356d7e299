namespace Bbn.Hosting.Plugins;

/// <summary>The `plugins` verb's table: kind, name, assembly, version, description.</summary>
public static class PluginListing
{
    public static void Write(ComponentCatalog catalog, TextWriter output)
    {
        var rows = catalog.Components
            .OrderBy(c => c.Kind, StringComparer.Ordinal).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => new[] { c.Kind, c.Name, c.Plugin.AssemblyName, c.Plugin.Version, c.Description })
            .ToList();
        string[] header = ["KIND", "NAME", "ASSEMBLY", "VERSION", "DESCRIPTION"];
        int[] widths = Enumerable.Range(0, 4).Select(i => rows.Select(r => r[i].Length).Append(header[i].Length).Max()).ToArray();
        foreach (var row in rows.Prepend(header))
        {
            output.WriteLine(string.Join("  ", row.Take(4).Select((cell, i) => cell.PadRight(widths[i]))) + "  " + row[4]);
        }
        output.WriteLine($"{rows.Count} components from {catalog.Components.Select(c => c.Plugin.Location).Distinct().Count()} plugin assemblies.");
    }

    /// <summary>Every installed plugin's SHA-256 as a Bbn:Plugins:Trusted setting, for the command line and for appsettings.json.</summary>
    public static void WriteHashes(PluginOptions options, TextWriter output)
    {
        var pins = PluginKernel.Assemblies(options.SearchedDirectories, AppContext.BaseDirectory).Select(path => (Name: Path.GetFileNameWithoutExtension(path), Hash: PluginKernel.Hash(path), Path: path)).ToList();
        foreach (var pin in pins) output.WriteLine($"--{PluginOptions.Section}:Trusted:{pin.Name}={pin.Hash}");
        output.WriteLine();
        output.WriteLine("In appsettings.json, under \"Bbn\": { \"Plugins\": { ... } }:");
        output.WriteLine("\"Trusted\": {");
        output.WriteLine(string.Join(",\n", pins.Select(p => $"  \"{p.Name}\": \"{p.Hash}\"")));
        output.WriteLine("}");
    }
}
