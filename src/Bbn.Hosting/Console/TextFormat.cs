using System.Globalization;
using Spectre.Console;

namespace Bbn.Hosting.Console;

/// <summary>How the trainer's text output writes figures, and a plain console for tables on any writer.</summary>
public static class TextFormat
{
    /// <summary>0.8123 -> "81.23 %"; null (an empty shot group, no evaluation) -> "-".</summary>
    public static string Percent(double? value) => value is null ? "-" : value.Value.ToString("P2", CultureInfo.InvariantCulture);

    /// <summary>An ETA: "1h05m" from an hour on, else "4m07s".</summary>
    public static string Duration(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{(int)span.TotalHours}h{span.Minutes:00}m" : $"{span.Minutes}m{span.Seconds:00}s";

    /// <summary>A console without colours or escape codes that renders tables into <paramref name="writer"/> (stdout, a file, a test).</summary>
    public static IAnsiConsole PlainConsole(TextWriter writer, int width)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        return console;
    }
}
