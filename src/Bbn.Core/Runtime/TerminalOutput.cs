using System.Runtime.InteropServices;

namespace Bbn.Core.Runtime;

/// <summary>The process's standard output and error at the descriptor level, for what must outlive a closed terminal.</summary>
public static partial class TerminalOutput
{
    /// <summary>
    /// Points stdout and stderr at /dev/null where they are a terminal (a pipe or a file is kept, so a
    /// `| tee` or a redirected log still gets the last lines). Writes to a hung-up terminal fail, and a
    /// failed log write must not end the checkpoint that follows a SIGHUP.
    /// </summary>
    public static void DetachFromTerminal()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        int devNull = Open("/dev/null", 1 /* O_WRONLY */);
        if (devNull < 0) return;
        foreach (int descriptor in new[] { 1, 2 })
            if (Isatty(descriptor) == 1) _ = Dup2(devNull, descriptor);
        _ = Close(devNull);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "dup2")]
    private static partial int Dup2(int from, int to);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);

    [LibraryImport("libc", EntryPoint = "isatty")]
    private static partial int Isatty(int descriptor);
}
