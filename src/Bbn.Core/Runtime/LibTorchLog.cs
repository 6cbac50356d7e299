using System.Runtime.InteropServices;

namespace Bbn.Core.Runtime;

/// <summary>
/// libtorch's own log (c10's LOG and TORCH_WARN lines on stderr). It is set to errors only once libtorch is
/// loaded, so that lines such as "Could not initialize NNPACK! Reason: Unsupported hardware." (33 of them
/// opened every run on an AMD Zen 5) never reach a user's terminal. A TORCH_CPP_LOG_LEVEL set by the user
/// wins; <c>verbose</c> keeps libtorch's default (warnings).
/// </summary>
public static unsafe partial class LibTorchLog
{
    public const string Variable = "TORCH_CPP_LOG_LEVEL";
    private const string Quiet = "ERROR";

    /// <summary>What <see cref="Apply"/> decided, for the log at Debug.</summary>
    public sealed record Decision(string Level, string Source, bool? NnpackAvailable);

    /// <summary>Applies the level to the loaded libtorch (c10::initLogging reads the variable) and settles NNPACK once, quietly.</summary>
    public static Decision Apply(bool verbose)
    {
        string? user = Environment.GetEnvironmentVariable(Variable);
        string level = user ?? (verbose ? "WARNING" : Quiet);
        string source = user is not null ? $"{Variable} from the environment" : verbose ? "--verbose" : "the default (--verbose or TORCH_CPP_LOG_LEVEL=WARNING shows libtorch's warnings)";
        if (!OperatingSystem.IsLinux() || !TryLoad("libc10.so", out var c10)) return new Decision(level, source + "; not applied: libc10.so not found", null);
        _ = SetEnv(Variable, level, 1);
        if (NativeLibrary.TryGetExport(c10, "_ZN3c1011initLoggingEv", out var initLogging))
            ((delegate* unmanaged<void>)initLogging)();
        // NNPACK is probed once per process at the first convolution; probing it here, after the level is set,
        // keeps its warning out of the terminal and says in the log what libtorch decided.
        bool? nnpack = null;
        if (TryLoad("libtorch_cpu.so", out var cpu) && NativeLibrary.TryGetExport(cpu, "_ZN2at6native17_nnpack_availableEv", out var probe))
            nnpack = ((delegate* unmanaged<byte>)probe)() != 0;
        return new Decision(level, source, nnpack);
    }

    /// <summary>libtorch's current minimum level (0 INFO, 1 WARNING, 2 ERROR, 3 FATAL), or null where it cannot be read.</summary>
    public static int? CurrentLevel() =>
        OperatingSystem.IsLinux() && TryLoad("libc10.so", out var c10) && NativeLibrary.TryGetExport(c10, "FLAGS_caffe2_log_level", out var flag)
            ? Marshal.ReadInt32(flag)
            : null;

    /// <summary>The already loaded library (dlopen finds a loaded object by its soname).</summary>
    private static bool TryLoad(string name, out IntPtr handle) => NativeLibrary.TryLoad(name, out handle);

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
