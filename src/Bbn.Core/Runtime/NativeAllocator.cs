using System.Runtime.InteropServices;

namespace Bbn.Core.Runtime;

/// <summary>
/// The C allocator libtorch's tensors come from. Debian's tcmalloc (libtcmalloc-minimal4), when
/// installed, is preloaded by the host itself: the host re-executes itself once with LD_PRELOAD set,
/// before anything else runs. Measured on BBN ResNet-32 it cut peak resident memory from about 2.9 GiB to
/// 1.2 GiB at the same speed (docs/investigations/allocators.md). BBN_ALLOCATOR=glibc keeps glibc's
/// malloc; BBN_ALLOCATOR=PATH preloads another library.
/// </summary>
public static unsafe partial class NativeAllocator
{
    public const string Variable = "BBN_ALLOCATOR";
    private const string ReexecutedVariable = "BBN_ALLOCATOR_PRELOADED";

    private static readonly string[] Tcmalloc =
    [
        "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
        "/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4",
    ];

    /// <summary>
    /// Re-executes this process with the chosen allocator preloaded when it is present and not loaded yet;
    /// returns when there is nothing to do (or the re-execution could not be made, which leaves glibc's malloc).
    /// </summary>
    public static void PreloadIfPresent()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(ReexecutedVariable) is not null) return;
        string choice = Environment.GetEnvironmentVariable(Variable) ?? "auto";
        string? library = choice is "glibc" or "none" ? null : choice is "auto" or "tcmalloc" ? Array.Find(Tcmalloc, File.Exists) : choice;
        if (library is not null && (!File.Exists(library) || Current() != "glibc")) library = null;
        // A local-libtorch build (BbnTorchBackend=local) names libtorch's folder in libtorch.path; the loader reads
        // LD_LIBRARY_PATH only at process start, so the host re-executes itself with it, as it does for the allocator.
        string? libtorch = LocalLibTorch.Folder();
        string currentPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "";
        if (libtorch is not null && currentPath.Split(':').Contains(libtorch, StringComparer.Ordinal)) libtorch = null;
        if (library is null && libtorch is null) return;

        string[] argv = File.ReadAllText("/proc/self/cmdline").Split('\0')[..^1];
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);
        if (library is not null)
            environment["LD_PRELOAD"] = environment.TryGetValue("LD_PRELOAD", out var existing) && existing.Length > 0 ? $"{library}:{existing}" : library;
        if (libtorch is not null)
            environment["LD_LIBRARY_PATH"] = currentPath.Length > 0 ? $"{libtorch}:{currentPath}" : libtorch;
        environment[ReexecutedVariable] = library ?? "none";
        var args = Strings(argv);
        var envp = Strings(environment.Select(e => $"{e.Key}={e.Value}"));
        fixed (IntPtr* a = args)
        fixed (IntPtr* e = envp)
            _ = Execve("/proc/self/exe", a, e); // returns only when it failed
    }

    /// <summary>The allocator this process runs with: tcmalloc, jemalloc, mimalloc or glibc.</summary>
    public static string Current()
    {
        string maps = OperatingSystem.IsLinux() ? File.ReadAllText("/proc/self/maps") : "";
        foreach (string name in new[] { "tcmalloc", "jemalloc", "mimalloc" })
            if (maps.Contains("lib" + name, StringComparison.Ordinal)) return name;
        return "glibc";
    }

    /// <summary>A null-terminated array of UTF-8 strings for execve (never freed: execve replaces the process, or it fails once).</summary>
    private static IntPtr[] Strings(IEnumerable<string> values) => values.Select(Marshal.StringToCoTaskMemUTF8).Append(IntPtr.Zero).ToArray();

    [LibraryImport("libc", EntryPoint = "execve", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execve(string path, IntPtr* argv, IntPtr* envp);
}
