using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Reflection;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>
/// What scripts/build-native.sh relies on before any compiler runs: the sources come verified from the kit or a
/// download (a file:// archive in GitHub's layout stands in for the network), and a plain libtorch folder is read
/// from its files (no Python torch to ask), with the NuGet package's CPU libraries standing in for its lib/.
/// </summary>
public sealed class NativeGlueScriptTests : IDisposable
{
    private static readonly string Repo = typeof(NativeGlueScriptTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
    private static readonly string Glue = Path.Combine(Repo, "build", "native-glue");
    private const string Commit = "c20b6a1cc574d690707638a488d2583f3b8b983f";
    private readonly string root = Directory.CreateTempSubdirectory("bbn-glue-").FullName;

    [Fact]
    public async Task Sources_downloaded_in_GitHubs_layout_are_repacked_for_the_build_and_a_changed_file_is_refused()
    {
        string? kitTarball = KitTarball();
        Assert.SkipWhen(kitTarball is null, "needs ../shared/gpu/kit/libtorchsharp-src.tar.gz to make a stand-in for GitHub's archive");
        string archive = GitHubArchive(kitTarball!, tamper: false);
        var ok = await Sources(archive, Path.Combine(root, "ok.tar.gz"));
        ok.Code.Should().Be(0, ok.Error);
        ok.Error.Should().Contain("downloading file://").And.Contain("verified");
        Entries(Path.Combine(root, "ok.tar.gz")).Should().Contain(["TorchSharp-0.107.0-native/src/Native/LibTorchSharp/THSTensor.cpp", "TorchSharp-0.107.0-native/SOURCE_COMMIT"]);

        string tampered = GitHubArchive(kitTarball!, tamper: true);
        var refused = await Sources(tampered, Path.Combine(root, "bad.tar.gz"));
        refused.Code.Should().Be(2);
        refused.Error.Should().Contain("refusing to build from it");
        File.Exists(Path.Combine(root, "bad.tar.gz")).Should().BeFalse();
    }

    [Fact]
    public async Task An_unreachable_archive_gets_one_line_naming_it_and_the_way_out()
    {
        var result = await Sources("file:///nonexistent/torchsharp.tar.gz", Path.Combine(root, "none.tar.gz"));
        result.Code.Should().Be(2);
        result.Error.Should().Contain("could not download file:///nonexistent/torchsharp.tar.gz").And.Contain("BBN_TORCHSHARP_ARCHIVE");
    }

    [Theory]
    [InlineData("2.10.0+cu128", true, "-D_GLIBCXX_USE_CXX11_ABI=0", "cu128", "0")]
    [InlineData("2.10.0+cpu", false, "-D_GLIBCXX_USE_CXX11_ABI=1", "None", "1")]
    [InlineData("2.10.0+cpu", false, "", "None", "1")] // no flag in the CMake files: libc10.so's symbols tell (the package's is C++11 ABI)
    public async Task A_plain_libtorch_folder_is_read_from_its_files(string version, bool cuda, string flags, string expectedCuda, string expectedAbi)
    {
        string libtorch = Path.Combine(root, "libtorch");
        Directory.CreateDirectory(Path.Combine(libtorch, "share", "cmake", "Torch"));
        Directory.CreateDirectory(Path.Combine(libtorch, "lib"));
        File.WriteAllText(Path.Combine(libtorch, "build-version"), version + "\n");
        File.WriteAllText(Path.Combine(libtorch, "share", "cmake", "Torch", "TorchConfig.cmake"), $"set(TORCH_CXX_FLAGS \"{flags}\")\n");
        string package = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        foreach (string library in new[] { "libtorch.so", "libc10.so" }) File.Copy(Path.Combine(package, library), Path.Combine(libtorch, "lib", library));
        if (cuda) File.WriteAllBytes(Path.Combine(libtorch, "lib", "libtorch_cuda.so"), []);

        var result = await Run("bash", [Path.Combine(Glue, "torch-info.sh"), libtorch]);
        result.Code.Should().Be(0, result.Error);
        var info = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        info["TORCH_VERSION"].Should().Be(version);
        info["TORCH_CUDA"].Should().Be(expectedCuda);
        info["TORCH_ABI"].Should().Be(expectedAbi);
        info["TORCH_CMAKE_PREFIX"].Should().Be(Path.Combine(libtorch, "share", "cmake"));
    }

    [Fact]
    public async Task A_folder_that_is_no_libtorch_is_named_with_what_it_lacks()
    {
        var result = await Run("bash", [Path.Combine(Glue, "torch-info.sh"), root]);
        result.Code.Should().Be(2);
        result.Error.Should().Contain(root).And.Contain("share/cmake/Torch/TorchConfig.cmake");
    }

    private static string? KitTarball()
    {
        string path = Path.GetFullPath(Path.Combine(Repo, "..", "shared", "gpu", "kit", "libtorchsharp-src.tar.gz"));
        return File.Exists(path) ? path : null;
    }

    /// <summary>The kit's sources re-rooted as GitHub's archive of the commit (TorchSharp-&lt;commit&gt;/...).</summary>
    private string GitHubArchive(string kitTarball, bool tamper)
    {
        string unpacked = Directory.CreateDirectory(Path.Combine(root, tamper ? "kit-tampered" : "kit")).FullName;
        using (var gzip = new GZipStream(File.OpenRead(kitTarball), CompressionMode.Decompress)) TarFile.ExtractToDirectory(gzip, unpacked, overwriteFiles: false);
        string top = Path.Combine(unpacked, "TorchSharp-" + Commit);
        Directory.Move(Path.Combine(unpacked, "TorchSharp-0.107.0-native"), top);
        File.Delete(Path.Combine(top, "SOURCE_COMMIT"));
        if (tamper) File.AppendAllText(Path.Combine(top, "src", "Native", "LibTorchSharp", "THSTensor.cpp"), "// changed\n");
        string archive = Path.Combine(root, (tamper ? "tampered" : "github") + ".tar.gz");
        using (var output = new GZipStream(File.Create(archive), CompressionLevel.Fastest)) TarFile.CreateFromDirectory(unpacked, output, includeBaseDirectory: false);
        return archive;
    }

    private Task<(int Code, string Output, string Error)> Sources(string archive, string output) =>
        Run("bash", [Path.Combine(Glue, "sources.sh"), output], new() { ["BBN_GPU_KIT"] = Path.Combine(root, "no-kit"), ["BBN_TORCHSHARP_ARCHIVE"] = archive.Contains("://") ? archive : "file://" + archive });

    private static List<string> Entries(string tarball)
    {
        using var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        var names = new List<string>();
        while (reader.GetNextEntry() is { } entry) names.Add(entry.Name.TrimStart('.', '/'));
        return names;
    }

    private static async Task<(int Code, string Output, string Error)> Run(string file, IEnumerable<string> arguments, Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? []) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output, await error);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
