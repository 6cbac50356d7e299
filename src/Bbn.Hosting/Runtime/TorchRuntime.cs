using Bbn.Core.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Hosting.Runtime;

/// <summary>Loads libtorch once and turns the Bbn:Training:Device setting into a device.</summary>
public static class TorchRuntime
{
    private static readonly object Gate = new();

    /// <summary>--verbose: libtorch's own warnings reach stderr (otherwise errors only, <see cref="LibTorchLog"/>).</summary>
    public static bool Verbose { get; set; }

    /// <summary>The level libtorch logs at and what NNPACK decided, once libtorch is loaded; null before.</summary>
    public static LibTorchLog.Decision? NativeLog { get; private set; }

    /// <summary>
    /// Forces TorchSharp to load its native libraries now, so that a failure is reported at start
    /// with its cause and TorchSharp's load trace rather than at the first tensor. Before that, the C
    /// heap's settings for libtorch's allocation pattern.
    /// </summary>
    public static void EnsureLoaded()
    {
        NativeHeap.KeepFreedMemoryDuringEpochs();
        try
        {
            using var probe = ones(1);
            using var sum = probe.sum();
            _ = sum.item<float>();
            lock (Gate) NativeLog ??= LibTorchLog.Apply(Verbose);
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
        {
            throw new TorchRuntimeException(
                "TorchSharp could not load libtorch for this process. Cause: " + Innermost(e).Message +
                " On Debian 12 / Ubuntu 22.04 the build patches libLibTorchSharp.so (GLIBCXX_3.4.32); rebuild with 'dotnet build' " +
                "rather than copying binaries from another machine. glibc 2.34 or newer is required. TorchSharp's load trace: " + e, e);
        }
    }

    /// <summary>auto: CUDA when available, else CPU; cpu; cuda; cuda:N.</summary>
    public static Device ResolveDevice(string setting, int threads)
    {
        EnsureLoaded();
        if (threads > 0) set_num_threads(threads);
        string value = setting.Trim().ToLowerInvariant();
        if (value == "auto") return cuda.is_available() ? CUDA : CPU;
        if (value == "cpu") return CPU;
        int index = value == "cuda" ? 0 : int.Parse(value.AsSpan("cuda:".Length), System.Globalization.CultureInfo.InvariantCulture);
        if (!cuda.is_available())
            throw new TorchRuntimeException(
                $"Bbn:Training:Device = '{setting}' but CUDA is not available: this build carries the CPU libtorch, or no NVIDIA GPU/driver is visible. " +
                "Use --Bbn:Training:Device=cpu (or auto), or build with -p:BbnTorchBackend=cuda on a machine with an NVIDIA GPU.");
        if (index >= cuda.device_count())
            throw new TorchRuntimeException($"Bbn:Training:Device = '{setting}' but only {cuda.device_count()} CUDA device(s) are visible (cuda:0 to cuda:{cuda.device_count() - 1}).");
        return new Device(DeviceType.CUDA, index);
    }

    /// <summary>
    /// The device of local rank <paramref name="localRank"/> of <paramref name="localRanks"/> on one machine:
    /// auto or cuda gives each rank its own GPU (cuda:localRank modulo the GPUs); on the CPU, Threads = 0
    /// shares the cores out (the ranks would otherwise oversubscribe them).
    /// </summary>
    public static Device ResolveRankDevice(string setting, int threads, int localRank, int localRanks)
    {
        EnsureLoaded();
        if (threads == 0) threads = Math.Max(1, Environment.ProcessorCount / Math.Max(1, localRanks));
        string value = setting.Trim().ToLowerInvariant();
        if ((value == "auto" || value == "cuda") && cuda.is_available())
            return ResolveDevice($"cuda:{localRank % cuda.device_count()}", threads);
        return ResolveDevice(setting, threads);
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);
}

public sealed class TorchRuntimeException(string message, Exception? inner = null) : Exception(message, inner);
