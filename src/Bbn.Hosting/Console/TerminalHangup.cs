using System.Runtime.InteropServices;
using Bbn.Core.Runtime;
using Microsoft.Extensions.Hosting;

namespace Bbn.Hosting.Console;

/// <summary>
/// SIGHUP (the terminal closed) as a stop request. The generic host handles SIGINT, SIGQUIT and SIGTERM
/// only; without this a closed terminal ended the trainer at once with exit 129, no checkpoint of the
/// epoch and status.json left at "running".
/// </summary>
public static class TerminalHangup
{
    /// <summary>Registers the handler (null on Windows); dispose to restore the default action.</summary>
    public static IDisposable? StopOnHangup(IHostApplicationLifetime lifetime)
    {
        if (OperatingSystem.IsWindows()) return null;
        return PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            TerminalOutput.DetachFromTerminal();
            lifetime.StopApplication();
        });
    }
}
