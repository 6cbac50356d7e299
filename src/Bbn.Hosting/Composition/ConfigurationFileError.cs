using System.Text.Json;
using System.Text.RegularExpressions;

namespace Bbn.Hosting.Composition;

/// <summary>A configuration file that does not parse, as one line: the file, the line and column, the parser's reason.</summary>
public static partial class ConfigurationFileError
{
    /// <summary>The line for the file-configuration provider's "Failed to load configuration from file" error; null for other errors.</summary>
    public static string? Describe(InvalidDataException error)
    {
        var file = FileName().Match(error.Message);
        if (!file.Success) return null;
        string path = file.Groups[1].Value;
        // System.Text.Json counts lines and bytes from 0.
        // The JSON provider wraps the parser's JsonException in a FormatException.
        Exception? cause = error.InnerException;
        while (cause is not null and not JsonException && cause.InnerException is not null) cause = cause.InnerException;
        return cause switch
        {
            JsonException { LineNumber: { } line, BytePositionInLine: { } column } json =>
                $"Configuration error: {path} does not parse at line {line + 1}, column {column + 1}: {Reason(json)} Fix the file (it must be JSON) and run again.",
            { } inner => $"Configuration error: {path} does not parse: {inner.Message} Fix the file (it must be JSON) and run again.",
            null => $"Configuration error: {path} does not parse. Fix the file (it must be JSON) and run again.",
        };
    }

    private static string Reason(JsonException json)
    {
        // The parser's message ends with its own "LineNumber: n | BytePositionInLine: m." position, given above.
        string message = json.Message;
        int position = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (position > 0 ? message[..position] : message).Trim();
    }

    [GeneratedRegex("configuration from file '([^']+)'")]
    private static partial Regex FileName();
}
