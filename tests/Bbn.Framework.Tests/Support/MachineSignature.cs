namespace Bbn.Framework.Tests;

/// <summary>
/// The processor as libtorch's kernels see it: vendor, family, model and widest vector extension. libtorch,
/// oneDNN and MKL choose kernels (and so the order of float additions) from these, so a fixed-seed run with a
/// fixed number of threads (<see cref="Threads"/>) is bit-for-bit repeatable on one signature and drifts between
/// them (Zen 3, 4 and 5 and a Xeon gave different last digits; SGD amplifies them over steps).
/// </summary>
internal static class MachineSignature
{
    public static string Current { get; } = Read();

    /// <summary>The intra-op threads a run compared with a per-machine golden uses (their count splits reductions).</summary>
    public const int Threads = 2;

    private static string Read()
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        if (File.Exists("/proc/cpuinfo"))
            foreach (string line in File.ReadLines("/proc/cpuinfo"))
            {
                int colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0) continue;
                string key = line[..colon].Trim();
                if (key.Length == 0) break; // the first processor is enough
                fields.TryAdd(key, line[(colon + 1)..].Trim());
            }
        string vendor = fields.GetValueOrDefault("vendor_id") switch { "AuthenticAMD" => "amd", "GenuineIntel" => "intel", var v => v ?? "unknown" };
        string flags = " " + fields.GetValueOrDefault("flags", "") + " ";
        string vectors = flags.Contains(" avx512f ", StringComparison.Ordinal) ? "avx512" : flags.Contains(" avx2 ", StringComparison.Ordinal) ? "avx2" : "baseline";
        return $"{vendor}-{fields.GetValueOrDefault("cpu family", "0")}-{fields.GetValueOrDefault("model", "0")}-{vectors}";
    }
}
