using System.Globalization;

/// <summary>Fields of /proc/self/status in MiB (VmRSS: resident memory, VmHWM: its peak); NaN where absent.</summary>
internal static class ProcessStatus
{
    public static double Mib(string field)
    {
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }
}
