using Bbn.Hosting;

namespace Bbn.Framework.Tests;

/// <summary>Runs the trainer application in-process, as the host's Program does, capturing its output.</summary>
internal static class AppRunner
{
    public static async Task<(int ExitCode, string Output, string Error)> Run(params string[] args) =>
        await Run(CancellationToken.None, args);

    public static async Task<(int ExitCode, string Output, string Error)> Run(CancellationToken cancellation, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await BbnApplication.RunAsync(args, output, error, cancellation);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>The built-in plugin directory followed by <paramref name="extra"/>, as command-line settings.</summary>
    public static string[] PluginDirectories(params string[] extra) =>
        new[] { "plugins" }.Concat(extra).Select((d, i) => $"--Bbn:Plugins:Directories:{i}={d}").ToArray();
}
