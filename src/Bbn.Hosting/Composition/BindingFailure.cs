using System.Text.RegularExpressions;
using Bbn.Abstractions;

namespace Bbn.Hosting.Composition;

/// <summary>
/// The configuration binder's message for a value it cannot convert, said as the validators say it: for an enum setting
/// "Bbn:Validation:Refit = 'sometimes' is invalid: expected auto, always, never.", instead of a .NET type's name.
/// </summary>
public static partial class BindingFailure
{
    /// <summary>The setting, its value and what it takes, or <paramref name="message"/> as it is when it is not a conversion failure.</summary>
    public static string Describe(string message)
    {
        var m = Conversion().Match(message);
        if (!m.Success) return message;
        var type = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(m.Groups["type"].Value)).FirstOrDefault(t => t is not null);
        string key = m.Groups["key"].Value, value = m.Groups["value"].Value;
        return type is { IsEnum: true }
            ? $"{key} = '{value}' is invalid: expected {SettingNames.Of(type)}."
            : $"{key} = '{value}' is invalid: expected {Kind(type)}.";
    }

    private static string Kind(Type? type)
    {
        type = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(int) || type == typeof(long)) return "an integer";
        if (type == typeof(double) || type == typeof(float)) return "a number";
        if (type == typeof(bool)) return "true or false";
        return type is null ? "a valid value" : $"a value of type {type.Name}";
    }

    [GeneratedRegex(@"Failed to convert configuration value '(?<value>.*)' at '(?<key>[^']*)' to type '(?<type>[^']*)'")]
    private static partial Regex Conversion();
}
