using System.Diagnostics;

namespace Bbn.Framework.Tests;

/// <summary>
/// Builds tests/Fixtures (copied beside the tests) in a temporary folder with `dotnet build`, the
/// way an out-of-tree plugin is built: against the contracts assembly the test host uses, never
/// as part of the framework's own build. Each plugin ends up as &lt;root&gt;/&lt;case&gt;/&lt;Name&gt;/&lt;Name&gt;.dll.
/// </summary>
public sealed class PluginFixtures : IDisposable
{
    public PluginFixtures()
    {
        Root = Directory.CreateTempSubdirectory("bbn-fixtures-").FullName;
        string source = Path.Combine(Root, "src");
        CopyDirectory(Path.Combine(AppContext.BaseDirectory, "Fixtures"), source);
        string bin = AppContext.BaseDirectory.EndsWith('/') ? AppContext.BaseDirectory : AppContext.BaseDirectory + "/";
        Run("dotnet", $"build \"{Path.Combine(source, "Fixtures.slnx")}\" -c Release -nologo -v:q -p:BbnTestBin={bin}", source);

        DropIn = Plugin("drop-in", source, "DropInSchedule");
        DropInMethod = Plugin("drop-in-method", source, "DropInMethod");
        Shadow = Plugin("shadow", source, "ShadowSchedules");
        MissingDependency = Plugin("missing-dependency", source, "NeedsDependency");
        File.Delete(Path.Combine(MissingDependency, "NeedsDependency", "DependencyLibrary.dll"));
        FutureContracts = Plugin("future-contracts", source, "FutureContractsPlugin");
        ThrowingRegistrar = Plugin("throwing-registrar", source, "ThrowingRegistrar");
        FailingFactory = Plugin("failing-factory", source, "FailingFactory");
        PlainCnn = Plugin("plain-cnn", source, "PlainCnn");

        // The sample plugin, built the way docs/plugins.md says, into a plugin directory of its own.
        string samples = Path.Combine(Root, "samples");
        CopyDirectory(Path.Combine(AppContext.BaseDirectory, "Samples"), samples);
        Sample = Path.Combine(Root, "cases", "sample");
        Run("dotnet", $"build \"{Path.Combine(samples, "Bbn.Samples.Plugin", "Bbn.Samples.Plugin.csproj")}\" -c Release -nologo -v:q -p:BbnHostDir={bin} -p:BbnPluginOutput={Sample}/", samples);
    }

    /// <summary>A plugin directory holding samples/Bbn.Samples.Plugin, built out of tree.</summary>
    public string Sample { get; }

    public string Root { get; }

    /// <summary>A plugin directory holding DropInSchedule (adaptor "constant").</summary>
    public string DropIn { get; }

    /// <summary>A plugin directory holding DropInMethod (method "three-branch": three branches, then a fine-tuning stage).</summary>
    public string DropInMethod { get; }

    /// <summary>A plugin directory holding ShadowSchedules (adaptor "parabolic", like the built-in one).</summary>
    public string Shadow { get; }

    /// <summary>A plugin directory holding NeedsDependency without its DependencyLibrary.dll.</summary>
    public string MissingDependency { get; }

    /// <summary>A plugin directory holding a plugin built against contracts 2.0.</summary>
    public string FutureContracts { get; }

    /// <summary>A plugin directory holding ThrowingRegistrar, whose registrar throws.</summary>
    public string ThrowingRegistrar { get; }

    /// <summary>A plugin directory holding FailingFactory (adaptor "fails-to-start", whose factory throws).</summary>
    public string FailingFactory { get; }

    /// <summary>A plugin directory holding PlainCnn (backbone "plain-cnn", without batch norm).</summary>
    public string PlainCnn { get; }

    /// <summary>A new, empty plugin directory for a test's own files.</summary>
    public string EmptyDirectory(string name) => Directory.CreateDirectory(Path.Combine(Root, "cases", name)).FullName;

    private string Plugin(string caseName, string source, string project)
    {
        string directory = Path.Combine(Root, "cases", caseName);
        string output = Path.Combine(source, project, "bin", "Release", "net10.0");
        CopyDirectory(output, Path.Combine(directory, project));
        return directory;
    }

    private static void Run(string file, string arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments} failed ({process.ExitCode}):\n{output}");
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string directory in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(directory.Replace(from, to, StringComparison.Ordinal));
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal), overwrite: true);
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PluginFixturesCollection : ICollectionFixture<PluginFixtures>
{
    public const string Name = "plugin fixtures";
}
