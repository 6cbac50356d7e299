using System.Globalization;

/// <summary>Fields of /proc/self/status in MiB (VmRSS: resident memory, VmHWM: its peak); NaN where absent.</summary>
internal static class ProcessStatus
{
    private static double earlierPeak;

    /// <summary>
    /// Starts VmHWM afresh from the current resident memory (Linux 4.0+: "5" to clear_refs), so that
    /// it reads the peak since this call; <see cref="ProcessPeakMib"/> keeps the peak before it.
    /// </summary>
    public static void ResetPeak()
    {
        earlierPeak = ProcessPeakMib();
        File.WriteAllText("/proc/self/clear_refs", "5");
    }

    /// <summary>The peak resident memory of the whole process so far, MiB, across <see cref="ResetPeak"/> calls.</summary>
    public static double ProcessPeakMib() => Math.Max(earlierPeak, Mib("VmHWM"));

    public static double Mib(string field)
    {
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }
}
