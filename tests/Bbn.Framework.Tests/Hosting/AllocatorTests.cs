using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>The host preloads Debian's tcmalloc itself (installed by scripts/install-test-tools.sh); BBN_ALLOCATOR=glibc keeps glibc's malloc; the run's numbers are the same.</summary>
[Trait(Speed.Name, Speed.Slow)]
public sealed class AllocatorTests : IDisposable
{
    private const string Tcmalloc = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4";
    private readonly string root = Directory.CreateTempSubdirectory("bbn-alloc-").FullName;

    [Fact]
    public async Task The_host_preloads_tcmalloc_when_present_and_trains_the_same_numbers_as_with_glibc()
    {
        File.Exists(Tcmalloc).Should().BeTrue("scripts/install-test-tools.sh installs libtcmalloc-minimal4");
        string data = FashionMnistFiles.WriteSubset(Path.Combine(root, "data"), trainImages: 600, testImages: 100);

        string preloaded = await Train(data, "preloaded", allocator: null);
        string glibc = await Train(data, "glibc", allocator: "glibc");

        preloaded.Should().Contain("Native allocator: tcmalloc (BBN_ALLOCATOR=auto");
        glibc.Should().Contain("Native allocator: glibc (BBN_ALLOCATOR=glibc");
        Top1("preloaded").Should().Be(Top1("glibc"), "the allocator changes where memory comes from, not the arithmetic");
    }

    private double Top1(string run)
    {
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "runs", run, "summary.json")));
        return summary.RootElement.GetProperty("top1").GetDouble();
    }

    private async Task<string> Train(string data, string run, string? allocator)
    {
        string host = typeof(AllocatorTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TrainerHost").Value!;
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "train", $"--Bbn:Dataset:Root={data}", $"--Bbn:Training:OutputDirectory={Path.Combine(root, "runs")}", $"--Bbn:Training:RunName={run}",
            "--Bbn:Training:Epochs=1", "--Bbn:Training:BatchSize=16", "--Bbn:Training:MaxStepsPerEpoch=2", "--Bbn:Validation:Split=none", "--Bbn:PostHoc:Tune=false" })
            start.ArgumentList.Add(a);
        start.Environment.Remove("BBN_ALLOCATOR");
        start.Environment.Remove("BBN_ALLOCATOR_PRELOADED");
        if (allocator is not null) start.Environment["BBN_ALLOCATOR"] = allocator;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(0, await error + output);
        return output;
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
