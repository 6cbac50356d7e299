using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;

namespace Bbn.Hosting.Composition;

/// <summary>
/// Settings that moved under the method's own section (contracts 2.0): for this version their old place is still read, as if
/// written at the new one, with a warning; where both are given the new one counts. The next version reads only the new place.
/// This is the one place in the kernel that knows the old names.
/// </summary>
public sealed class RenamedSettings(IReadOnlyList<string> warnings, IReadOnlySet<string> mapped)
{
    /// <summary>Each moved section: where it was, where it is.</summary>
    private static readonly (string Old, string New)[] Moves =
    [
        ("Bbn:Samplers:Conventional", "Bbn:Method:Samplers:Conventional"),
        ("Bbn:Samplers:Rebalancing", "Bbn:Method:Samplers:Rebalancing"),
        ("Bbn:Adaptor", "Bbn:Method:Adaptor"),
        ("Bbn:PostHoc:Alpha", "Bbn:PostHoc:MethodKnob"),
    ];

    /// <summary>One line per old setting found, saying where it now goes.</summary>
    public IReadOnlyList<string> Warnings { get; } = warnings;

    /// <summary>The keys written at the new places from old ones (without array indices, as UnknownSettings compares them).</summary>
    public IReadOnlySet<string> Mapped { get; } = mapped;

    /// <summary>Whether <paramref name="key"/> lies in a section that moved (the shim reads it; it is not unknown).</summary>
    public static bool IsOld(string key) => Moves.Any(m => key.Equals(m.Old, StringComparison.OrdinalIgnoreCase) || key.StartsWith(m.Old + ":", StringComparison.OrdinalIgnoreCase));

    /// <summary>Adds the old places' values at their new places on top of <paramref name="builder"/>, where the new place is not set.</summary>
    public static RenamedSettings Layer(IConfigurationBuilder builder, IConfiguration current)
    {
        var moved = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var warnings = new List<string>();
        foreach (var (old, now) in Moves)
        {
            var values = current.GetSection(old).AsEnumerable(makePathsRelative: true).Where(e => e.Value is not null).ToArray();
            if (values.Length == 0) continue;
            bool newSet = current.GetSection(now).AsEnumerable().Any(e => e.Value is not null);
            if (newSet)
            {
                warnings.Add($"{old} is not read: {now} is set and takes its place. Remove {old} (it moved under the method's section).");
                continue;
            }
            foreach (var (key, value) in values) moved[$"{now}:{key}"] = value;
            warnings.Add($"{old} is read as {now} in this version; move it there (the old place is not read from the next version on).");
        }
        if (moved.Count > 0) builder.Add(new MemoryConfigurationSource { InitialData = moved });
        return new RenamedSettings(warnings, moved.Keys.Select(k => string.Join(':', k.Split(':').Where(p => !p.All(char.IsAsciiDigit))))
            .ToHashSet(StringComparer.OrdinalIgnoreCase));
    }
}
