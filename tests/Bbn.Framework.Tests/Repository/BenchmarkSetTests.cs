using System.Diagnostics;
using System.Reflection;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>The small-data benchmark's sets (scripts/small-folders.py) measure what they say only if every class is a distinct set of images.</summary>
public sealed class BenchmarkSetTests
{
    private static readonly string Repo = typeof(BenchmarkSetTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;

    /// <summary>grey50-ir20 once held ten pairs of classes with the same images (a label turned by 0 and by 360 degrees); the script's check refuses such a set.</summary>
    [Fact]
    public async Task No_two_classes_of_a_benchmark_set_show_the_same_label_the_same_way()
    {
        var start = new ProcessStartInfo("/usr/bin/python3", [Path.Combine(Repo, "scripts", "small-folders.py"), "check"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        process.ExitCode.Should().Be(0, output + await stderr);
        output.Should().Contain("every class distinct");
    }
}
