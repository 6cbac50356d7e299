using System.Diagnostics;
using System.Reflection;

namespace Bbn.Framework.Tests;

/// <summary>
/// Starts the trainer host under Open MPI's mpirun (installed by scripts/install-test-tools.sh):
/// --oversubscribe and --bind-to none so that two ranks share two cores, and the variables that let
/// mpirun run as root (CI's containers do).
/// </summary>
public static class MpiRun
{
    public static string Host { get; } = typeof(MpiRun).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TrainerHost").Value!;

    public static string Mpirun { get; } = new[] { "/usr/bin/mpirun", "/usr/local/bin/mpirun" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("mpirun was not found: scripts/install-test-tools.sh installs Open MPI (openmpi-bin).");

    /// <summary>mpirun with one application context per entry of <paramref name="ranks"/> (each its own arguments, one process each).</summary>
    public static Process Start(params IReadOnlyList<string>[] ranks)
    {
        var start = new ProcessStartInfo(Mpirun) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "--oversubscribe", "--bind-to", "none", "--mca", "btl", "self,vader" }) start.ArgumentList.Add(a);
        for (int r = 0; r < ranks.Length; r++)
        {
            if (r > 0) start.ArgumentList.Add(":");
            foreach (string a in new[] { "-np", "1", Host }.Concat(ranks[r])) start.ArgumentList.Add(a);
        }
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        start.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"; // containers forbid the cross-memory attach it tries
        return Process.Start(start)!;
    }

    /// <summary><paramref name="count"/> ranks with the same arguments, run to the end.</summary>
    public static Task<(int Code, string Output, string Error)> Run(int count, IReadOnlyList<string> arguments) =>
        RunToEnd(Start(Enumerable.Repeat(arguments, count).ToArray()));

    public static async Task<(int Code, string Output, string Error)> RunToEnd(Process process)
    {
        using (process)
        {
            var error = process.StandardError.ReadToEndAsync();
            string output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, output, await error);
        }
    }

    /// <summary>Whether process <paramref name="pid"/> still runs (a zombie, ended but not yet reaped, does not).</summary>
    public static bool Alive(int pid)
    {
        try
        {
            string status = File.ReadAllText($"/proc/{pid}/status");
            return !status.Split('\n').Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains("zombie", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Waits up to <paramref name="limit"/> for the processes to end; returns those still running.</summary>
    public static async Task<int[]> WaitForEnd(IEnumerable<int> pids, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        int[] running;
        while ((running = pids.Where(Alive).ToArray()).Length > 0 && clock.Elapsed < limit) await Task.Delay(100);
        return running;
    }

    /// <summary>The trainer processes that mpirun <paramref name="mpirun"/> started, by rank (from their OMPI_COMM_WORLD_RANK).</summary>
    public static Dictionary<int, int> Ranks(Process mpirun)
    {
        var ranks = new Dictionary<int, int>();
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                string status = File.ReadAllText(Path.Combine(dir, "status"));
                string? parent = status.Split('\n').FirstOrDefault(l => l.StartsWith("PPid:", StringComparison.Ordinal))?[5..].Trim();
                if (parent != mpirun.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)) continue;
                string environment = File.ReadAllText(Path.Combine(dir, "environ"));
                string? rank = environment.Split('\0').FirstOrDefault(v => v.StartsWith("OMPI_COMM_WORLD_RANK=", StringComparison.Ordinal));
                if (rank is not null) ranks[int.Parse(rank["OMPI_COMM_WORLD_RANK=".Length..], System.Globalization.CultureInfo.InvariantCulture)] = pid;
            }
            catch (IOException)
            {
                // The process ended while being read.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours.
            }
        }
        return ranks;
    }
}
