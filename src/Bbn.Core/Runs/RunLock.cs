using System.Diagnostics;
using System.Text.Json;

namespace Bbn.Core.Runs;

/// <summary>
/// One trainer per run directory: <c>run.lock</c> holds the owner's process id, host and start time,
/// created exclusively and removed when the trainer ends. A second trainer is refused with the
/// owner named; the lock of a process that no longer runs on this host is taken over.
/// </summary>
public sealed class RunLock : IDisposable
{
    public const string FileName = "run.lock";

    private readonly string path;

    private RunLock(string path) => this.path = path;

    /// <summary>What the lock records.</summary>
    public sealed record Owner(int ProcessId, string Host, DateTimeOffset Started);

    /// <summary>
    /// Takes the lock of <paramref name="runDirectory"/>; <paramref name="tookOver"/> is the stale
    /// owner replaced, if any. Throws <see cref="RunDirectoryException"/> when a live trainer holds it.
    /// </summary>
    public static RunLock Acquire(string runDirectory, out Owner? tookOver)
    {
        string path = Path.Combine(runDirectory, FileName);
        var me = new Owner(Environment.ProcessId, Environment.MachineName, DateTimeOffset.UtcNow);
        tookOver = null;
        for (int attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
                    JsonSerializer.Serialize(stream, me);
                return new RunLock(path);
            }
            catch (IOException) when (File.Exists(path))
            {
                var owner = Read(path);
                if (owner is not null && !IsStale(owner))
                    throw new RunDirectoryException(
                        $"Run directory {runDirectory} is in use by another trainer: process {owner.ProcessId} on {owner.Host}, started {owner.Started:u}. " +
                        $"Wait for it to end or stop it; if it is gone, delete {path}.");
                tookOver = owner ?? new Owner(0, "unknown", DateTimeOffset.MinValue);
                File.Delete(path);
            }
        }
        throw new RunDirectoryException($"Could not take the lock {path}: another trainer took it at the same moment.");
    }

    /// <summary>A lock left by a process of this host that no longer runs; a lock of another host is never stale to us.</summary>
    private static bool IsStale(Owner owner)
    {
        if (!string.Equals(owner.Host, Environment.MachineName, StringComparison.Ordinal)) return false;
        if (owner.ProcessId == Environment.ProcessId) return false;
        try
        {
            using var process = Process.GetProcessById(owner.ProcessId);
            return process.HasExited || IsZombie(owner.ProcessId);
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    /// <summary>An ended process its parent has not reaped yet (a killed mpirun's ranks, reparented to an init that does not reap): it runs no more.</summary>
    private static bool IsZombie(int processId)
    {
        try
        {
            return File.ReadLines($"/proc/{processId}/status").Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains("zombie", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static Owner? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<Owner>(File.ReadAllText(path));
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null; // an empty or torn lock file: its writer died while writing it
        }
    }

    public void Dispose() => File.Delete(path);
}
