namespace Bbn.Hosting.Plugins;

/// <summary>Bbn:Plugins.</summary>
public sealed class PluginOptions
{
    public const string Section = "Bbn:Plugins";
    public const string DefaultDirectory = "plugins";

    /// <summary>Folders holding plugin folders (&lt;Name&gt;/&lt;Name&gt;.dll). Relative paths are relative to the host's folder.</summary>
    public List<string> Directories { get; set; } = [];

    /// <summary>Load plugin folders and assemblies that users other than their owner may write to (refused by default).</summary>
    public bool AllowWritable { get; set; }

    /// <summary>
    /// Pins the plugin assemblies: assembly name -> SHA-256 (hex) of its DLL. When any is given, every
    /// plugin must be listed with its hash, or the host refuses it (the trust verb prints them).
    /// </summary>
    public Dictionary<string, string> Trusted { get; set; } = [];

    /// <summary>The configured directories, or the default one when none is configured.</summary>
    public IReadOnlyList<string> SearchedDirectories => Directories.Count > 0 ? Directories : [DefaultDirectory];

    /// <summary>Bbn:Plugins as configured (defaults where the section is absent).</summary>
    public static PluginOptions From(Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        Microsoft.Extensions.Configuration.ConfigurationBinder.Get<PluginOptions>(configuration.GetSection(Section)) ?? new PluginOptions();
}
