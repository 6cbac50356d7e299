using System.Runtime.InteropServices;

namespace Bbn.Core.Distributed;

/// <summary>
/// Ends a rank that a stop request (SIGTERM from mpirun, Ctrl+C) could not end in time: a rank whose
/// peer died waits in an all-reduce that never returns (shared-memory MPI transports do not notice a
/// dead peer). Checkpoints are written to a temporary file and renamed, so the last one stays intact.
/// </summary>
public static partial class StopWatchdog
{
    /// <summary>Arms the watchdog when <paramref name="stopping"/> is cancelled: after <paramref name="timeout"/> the process exits with code 1.</summary>
    public static CancellationTokenRegistration Arm(TimeSpan timeout, int rank, int ranks, CancellationToken stopping) =>
        stopping.Register(() =>
        {
            var thread = new Thread(() =>
            {
                Thread.Sleep(timeout);
                System.Console.Error.WriteLine(
                    $"Rank {rank} of {ranks} did not stop within {timeout.TotalSeconds:0} s of the stop request (Bbn:Distributed:StopTimeoutSeconds): " +
                    "another rank is gone. Exiting; the last checkpoint is kept, resume with --Bbn:Training:Resume=true.");
                System.Console.Error.Flush();
                Exit(1);
            })
            { IsBackground = true, Name = "stop watchdog" };
            thread.Start();
        });

    // _exit: no managed shutdown, which would wait for the blocked trainer thread.
    [LibraryImport("libc", EntryPoint = "_exit")]
    private static partial void Exit(int code);
}
