using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Bbn.Hosting.Comparison;

/// <summary>A plan that cannot be run as given; its message is the one line the user sees (exit 2).</summary>
public sealed class CompareException(string message) : Exception(message);

/// <summary>One named composition of a comparison: the settings it adds to the common ones.</summary>
public sealed record Composition(string Name, IReadOnlyList<string> Settings);

/// <summary>
/// What the compare verb runs: every composition over seeds 0..Seeds-1, each run with the common
/// settings, then the composition's, then its seed. Read from Bbn:Compare (a plan file given to the
/// verb, then the command line); every other Bbn setting is common to all runs. The baseline (by
/// default the first composition by name) runs first.
/// </summary>
public sealed partial record ComparePlan(IReadOnlyList<Composition> Compositions, int Seeds, string? Baseline, string Output, IReadOnlyList<string> Common)
{
    public const string Section = "Bbn:Compare";
    public const string PlanFile = "plan.json";

    /// <summary>The run directory name of a composition's seed.</summary>
    public static string RunName(string composition, int seed) => $"{composition}-seed{seed}";

    public string RunsDirectory => Path.Combine(Output, "runs");

    /// <summary>The settings of one run, in the order they override each other.</summary>
    public IReadOnlyList<string> RunSettings(Composition composition, int seed) =>
        [.. Common, .. composition.Settings, $"--Bbn:Training:Seed={seed}", $"--Bbn:Training:OutputDirectory={RunsDirectory}", $"--Bbn:Training:RunName={RunName(composition.Name, seed)}"];

    /// <summary>The plan from the verb's settings (--Bbn:Compare:Plan, --Bbn:Compare:*, common --Bbn:* settings).</summary>
    public static ComparePlan From(string[] settings)
    {
        var commandLine = new ConfigurationBuilder().AddCommandLine(settings).Build();
        string? file = commandLine[$"{Section}:Plan"];
        var builder = new ConfigurationBuilder();
        if (!string.IsNullOrWhiteSpace(file))
        {
            string path = Path.GetFullPath(file);
            if (!File.Exists(path)) throw new CompareException($"Compare error: the plan file {path} does not exist.");
            try
            {
                using var _ = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            }
            catch (JsonException e)
            {
                throw new CompareException($"Compare error: {path} does not parse at line {(e.LineNumber ?? 0) + 1}, column {(e.BytePositionInLine ?? 0) + 1}. Fix the file (it must be JSON) and run again.");
            }
            builder.AddJsonFile(path, optional: false);
        }
        var configuration = builder.AddCommandLine(settings).Build();
        var section = configuration.GetSection(Section);

        var compositions = section.GetSection("Compositions").GetChildren().Select(c => new Composition(c.Key, SettingsOf(c))).ToList();
        if (compositions.Count == 0)
            throw new CompareException("Compare error: no compositions. Name each with --Bbn:Compare:Compositions:<name>=\"--Bbn:Key=value ...\" (\"\" for the defaults) or in a plan file's Bbn:Compare:Compositions.");
        foreach (var c in compositions)
        {
            if (!SafeName().IsMatch(c.Name))
                throw new CompareException($"Compare error: composition name '{c.Name}' names a folder: use letters, digits, '.', '_' and '-'.");
            if (c.Settings.FirstOrDefault(s => !s.StartsWith("--Bbn:", StringComparison.Ordinal) || !s.Contains('=', StringComparison.Ordinal)) is { } bad)
                throw new CompareException($"Compare error: composition '{c.Name}' has '{bad}'; its settings are --Bbn:Section:Key=value, separated by spaces.");
            if (c.Settings.FirstOrDefault(SetByCompare) is { } owned)
                throw new CompareException($"Compare error: composition '{c.Name}' sets '{owned}', which compare sets for every run (Bbn:Compare:Seeds, Bbn:Compare:Output).");
        }

        string seedsText = section["Seeds"] ?? "3";
        if (!int.TryParse(seedsText, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int seeds) || seeds < 1 || seeds > 1000)
            throw new CompareException($"Compare error: Bbn:Compare:Seeds = '{seedsText}' is out of range: expected a number of seeds from 1 to 1000 (the runs take seeds 0..N-1).");
        string? baseline = section["Baseline"] is { Length: > 0 } b ? b : null;
        if (baseline is not null && compositions.All(c => c.Name != baseline))
            throw new CompareException($"Compare error: Bbn:Compare:Baseline = '{baseline}' is not a composition: expected one of {string.Join(", ", compositions.Select(c => c.Name))}.");
        string output = Path.GetFullPath(section["Output"] is { Length: > 0 } o ? o
            : Path.Combine("comparisons", string.IsNullOrWhiteSpace(file) ? string.Join("-", compositions.Select(c => c.Name)) : Path.GetFileNameWithoutExtension(file)));

        var common = configuration.AsEnumerable()
            .Where(kv => kv.Value is not null && kv.Key.StartsWith("Bbn:", StringComparison.Ordinal) && !kv.Key.StartsWith(Section, StringComparison.Ordinal))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"--{kv.Key}={kv.Value}")
            .ToArray();
        if (common.FirstOrDefault(SetByCompare) is { } set)
            throw new CompareException($"Compare error: '{set}' is set by compare for every run; use Bbn:Compare:Seeds and Bbn:Compare:Output.");
        // Configuration orders the compositions by name; the baseline goes first.
        baseline ??= compositions[0].Name;
        var ordered = compositions.Where(c => c.Name == baseline).Concat(compositions.Where(c => c.Name != baseline)).ToArray();
        return new ComparePlan(ordered, seeds, baseline, output, common);
    }

    /// <summary>The settings compare gives every run itself (its seed, directory and resumption).</summary>
    private static bool SetByCompare(string setting) =>
        OwnedTrainingKeys.Any(key => setting.StartsWith($"--Bbn:Training:{key}=", StringComparison.Ordinal));

    private static readonly string[] OwnedTrainingKeys = ["Seed", "RunName", "OutputDirectory", "Resume"];

    /// <summary>A composition's settings: a string of space-separated settings, or an array of them.</summary>
    private static string[] SettingsOf(IConfigurationSection composition)
    {
        var children = composition.GetChildren().ToArray();
        if (children.Length > 0) return [.. children.Select(c => c.Value ?? "").Where(v => v.Length > 0)];
        return (composition.Value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>The plan as plan.json records it: a comparison directory holds the runs of one plan only.</summary>
    public string ToJson() => JsonSerializer.Serialize(new
    {
        compositions = Compositions.ToDictionary(c => c.Name, c => c.Settings),
        seeds = Seeds,
        baseline = Baseline,
        common = Common,
    }, Indented);

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex SafeName();
}
