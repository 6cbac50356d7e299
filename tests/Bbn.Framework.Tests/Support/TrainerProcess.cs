using System.Diagnostics;
using System.Reflection;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>The built trainer host as a child process, for the tests that signal it.</summary>
internal static class TrainerProcess
{
    /// <summary>The host this build made, or BBN_TRAINER_HOST (the GPU check carries it elsewhere).</summary>
    public static string HostPath { get; } = Environment.GetEnvironmentVariable("BBN_TRAINER_HOST")
        ?? typeof(TrainerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TrainerHost").Value!;

    public static Process Start(IEnumerable<string> arguments)
    {
        // Through env --default-signal: the trainer starts with the signals' default actions, as from a shell, whatever this
        // test process inherited or left behind (a SIGHUP ignored here would be ignored by the trainer too, as nohup intends).
        var start = new ProcessStartInfo("/usr/bin/env") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--default-signal=HUP,TERM,INT");
        start.ArgumentList.Add(HostPath);
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        return Process.Start(start)!;
    }

    /// <summary>Reads the host's output until a line contains <paramref name="text"/>; fails if it ends first.</summary>
    public static async Task ReadUntil(Process process, string text)
    {
        string? line;
        while ((line = await process.StandardOutput.ReadLineAsync()) is not null && !line.Contains(text, StringComparison.Ordinal))
        {
        }
        line.Should().NotBeNull($"the host prints \"{text}\" before it ends");
    }
}
