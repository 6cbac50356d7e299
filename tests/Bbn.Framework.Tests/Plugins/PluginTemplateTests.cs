using System.Diagnostics;
using System.Reflection;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>
/// The plugin SDK as a plugin author meets it: the contracts packed into a local feed, the
/// `bbn-plugin` template installed from the repository, a project generated from it, built against
/// the package and its own tests run, then dropped into the host and trained with.
/// </summary>
[Collection(TorchCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class PluginTemplateTests : IClassFixture<PackedSdk>
{
    private readonly PackedSdk sdk;

    public PluginTemplateTests(PackedSdk sdk) => this.sdk = sdk;

    [Theory]
    [InlineData("sampler", "--Bbn:Method:Samplers:Rebalancing:Name=template-sampler", "--Bbn:Method:Samplers:Rebalancing:Power=1")]
    [InlineData("adaptor", "--Bbn:Method:Adaptor:Name=template-adaptor", "--Bbn:Method:Adaptor:Power=2")]
    public async Task A_project_from_the_template_builds_against_the_package_passes_its_tests_and_trains_in_the_host(string kind, params string[] choose)
    {
        string name = $"Template{char.ToUpperInvariant(kind[0])}{kind[1..]}Plugin";
        string project = Path.Combine(sdk.Root, name);
        PackedSdk.Run("dotnet", ["new", "bbn-plugin", "-n", name, "--kind", kind, "--component", $"template-{kind}", "--feed", sdk.Feed, "--contracts", sdk.Version, "-o", project, "--debug:custom-hive", sdk.Hive], sdk.Root);
        PackedSdk.Run("dotnet", ["build", $"{name}.slnx", "-c", "Release", "-nologo", "-v:q"], project);
        string tests = PackedSdk.Run("dotnet", ["test", $"{name}.slnx", "-c", "Release", "--no-build", "-nologo"], project);
        tests.Should().MatchRegex(@"Passed: +[1-9]").And.Contain("Failed:     0");

        string plugins = Path.Combine(project, name, "bin", "plugins");
        Directory.GetFiles(Path.Combine(plugins, name), "*", SearchOption.AllDirectories).Select(Path.GetFileName)
            .Should().Contain($"{name}.dll").And.NotContain(["Bbn.Abstractions.dll", "TorchSharp.dll", "libLibTorchSharp.so"], "the host provides the contracts and TorchSharp");

        string run = Path.Combine(sdk.Root, "runs");
        var (code, _, error) = await AppRunner.Run(["train", .. AppRunner.PluginDirectories(plugins), .. choose,
            $"--Bbn:Dataset:Root={sdk.Data}", $"--Bbn:Training:OutputDirectory={run}", $"--Bbn:Training:RunName={kind}",
            "--Bbn:Training:Epochs=2", "--Bbn:Training:BatchSize=16", "--Bbn:Training:MaxStepsPerEpoch=2", "--Bbn:Training:WarmupEpochs=1",
            "--Bbn:Validation:Split=none"]);
        code.Should().Be(0, error);
        File.ReadAllText(Path.Combine(run, kind, "config.json")).Should().Contain($"template-{kind}");
        File.Exists(Path.Combine(run, kind, "summary.json")).Should().BeTrue();
    }
}

/// <summary>Packs Bbn.Abstractions into a temporary feed and installs the template into a private template hive, once.</summary>
public sealed class PackedSdk : IDisposable
{
    public PackedSdk()
    {
        string repo = typeof(PackedSdk).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
        Root = Directory.CreateTempSubdirectory("bbn-sdk-").FullName;
        Feed = Path.Combine(Root, "feed");
        Hive = Path.Combine(Root, "hive");
        Data = FashionMnistFiles.WriteSubset(Path.Combine(Root, "data"), trainImages: 1000, testImages: 200);
        Run("dotnet", ["pack", Path.Combine(repo, "src", "Bbn.Abstractions"), "-c", "Release", "-nologo", "-v:q", "-o", Feed], repo);
        string package = Directory.GetFiles(Feed, "Bbn.Abstractions.*.nupkg").Single();
        // A package restored before under the same version would shadow the one just packed.
        Version = Path.GetFileNameWithoutExtension(package)["Bbn.Abstractions.".Length..];
        string cached = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "bbn.abstractions", Version);
        if (Directory.Exists(cached)) Directory.Delete(cached, recursive: true);
        Run("dotnet", ["new", "install", Path.Combine(repo, "templates", "bbn-plugin"), "--debug:custom-hive", Hive], repo);
    }

    public string Root { get; }
    public string Feed { get; }
    public string Hive { get; }
    public string Data { get; }

    /// <summary>The packed package's version: the contracts' version.</summary>
    public string Version { get; }

    public static string Run(string file, string[] arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(file, arguments) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{output}\n{error.Result}");
        return output;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
