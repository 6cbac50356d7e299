using Bbn.Core.Runs;
using System.Diagnostics;
using System.Reflection;
using Bbn.Core.Training;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>
/// The local-libtorch backend (-p:BbnTorchBackend=local) builds without a libtorch package and starts with the
/// libtorch its libtorch.path names: the CPU libtorch of the NuGet package stands in for a local one here.
/// </summary>
[Trait(Speed.Name, Speed.Slow)]
public sealed class LocalBackendTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-local-").FullName;

    [Fact]
    public async Task The_host_built_for_a_local_libtorch_carries_none_and_trains_with_the_one_it_is_given()
    {
        string repo = typeof(LocalBackendTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
        string standIn = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        File.Exists(Path.Combine(standIn, "libtorch_cpu.so")).Should().BeTrue("the test program carries the package's CPU libtorch, the stand-in");
        string source = Path.Combine(root, "src");
        // A copy of the sources: the local backend restores without the libtorch package, in its own obj/.
        (await Run("/bin/sh", ["-c", $"cd '{repo}' && git ls-files -co --exclude-standard -z | tar --null -cf - -T - | tar xf - -C '{source}'"], create: source)).Code.Should().Be(0);
        var build = await Run("dotnet", ["build", Path.Combine(source, "hosts", "Bbn.Trainer"), "-c", "Release", "-nologo", "-v:q",
            "-p:BbnTorchBackend=local", $"-p:BbnLibTorchDir={standIn}"]);
        build.Code.Should().Be(0, build.Output);

        string output = Path.Combine(source, "hosts", "Bbn.Trainer", "bin", "Release", "net10.0");
        Directory.GetFiles(output, "libtorch*.so", SearchOption.AllDirectories).Should().BeEmpty("no libtorch package is referenced");
        File.ReadAllText(Path.Combine(output, "libtorch.path")).Trim().Should().Be(standIn);
        string data = FashionMnistFiles.WriteSubset(Path.Combine(root, "data"), trainImages: 600, testImages: 100);
        var train = await Run(Path.Combine(output, "Bbn.Trainer"), ["train", $"--Bbn:Dataset:Root={data}", $"--Bbn:Training:OutputDirectory={Path.Combine(root, "runs")}",
            "--Bbn:Training:RunName=local", "--Bbn:Training:Epochs=1", "--Bbn:Training:BatchSize=16", "--Bbn:Training:MaxStepsPerEpoch=2"]);
        train.Code.Should().Be(0, train.Error);
        train.Error.Should().BeEmpty();
        Checkpoint.ReadHeader(Path.Combine(root, "runs", "local", RunDirectory.CheckpointFile)).Completed.Should().BeTrue();
    }

    private static async Task<(int Code, string Output, string Error)> Run(string file, IEnumerable<string> arguments, string? create = null)
    {
        if (create is not null) Directory.CreateDirectory(create);
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        start.Environment.Remove("LD_LIBRARY_PATH");
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output, await error);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
