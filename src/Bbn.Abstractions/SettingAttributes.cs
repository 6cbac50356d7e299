using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace Bbn.Abstractions;

/// <summary>
/// A setting's numeric range, as the kernel's options and a plugin's options class declare it (contracts 2.0): the message names
/// the setting's full path, its value and the range ("Bbn:Training:Epochs = 0 is out of range: expected an integer from 1 to
/// 100000."). On an array, each element is checked. Validated at start by the source-generated options validators.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class SettingRangeAttribute(double minimum, double maximum) : ValidationAttribute
{
    /// <summary>The smallest value allowed.</summary>
    public double Minimum { get; } = minimum;

    /// <summary>The largest value allowed.</summary>
    public double Maximum { get; } = maximum;

    /// <summary>What the value is, before "from MIN to MAX" ("an integer", "a fraction of the run"); default "a number".</summary>
    public string What { get; set; } = "a number";

    /// <summary>The whole expectation instead of "WHAT from MIN to MAX" (for a range with open ends).</summary>
    public string? Expected { get; set; }

    /// <summary>The range excludes its ends.</summary>
    public bool Exclusive { get; set; }

    /// <inheritdoc/>
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        string path = SettingPath.Of(validationContext);
        if (value is IEnumerable items and not string)
        {
            int index = 0;
            foreach (var item in items)
                if (Check(item, $"{path}:{index++}") is { } failure) return failure;
            return ValidationResult.Success;
        }
        return Check(value, path) ?? ValidationResult.Success;
    }

    private ValidationResult? Check(object? value, string path)
    {
        double v = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        bool inside = Exclusive ? v > Minimum && v < Maximum : v >= Minimum && v <= Maximum;
        if (inside && !double.IsNaN(v)) return null;
        string expected = Expected ?? string.Create(CultureInfo.InvariantCulture, $"{What} from {Minimum} to {Maximum}");
        return new ValidationResult(string.Create(CultureInfo.InvariantCulture, $"{path} = {v} is out of range: expected {expected}."));
    }
}

/// <summary>
/// A setting that takes one of a few names (contracts 2.0): the message names the setting, its value and the names allowed.
/// On an enum property (bound from its names, case-insensitively) it takes no names and refuses a number that names no member.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class SettingOneOfAttribute(params string[] allowed) : ValidationAttribute
{
    /// <summary>The names allowed.</summary>
    public IReadOnlyList<string> Allowed { get; } = allowed;

    /// <summary>The expectation in words ("auto (a split held out of training) or none"); default: the names, comma-separated.</summary>
    public string? Expected { get; set; }

    /// <inheritdoc/>
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        if (value is Enum member)
        {
            return Enum.IsDefined(member.GetType(), member)
                ? ValidationResult.Success
                : new ValidationResult($"{SettingPath.Of(validationContext)} = '{value}' is invalid: expected {Expected ?? SettingNames.Of(member.GetType())}.");
        }
        return value is string text && Allowed.Contains(text)
            ? ValidationResult.Success
            : new ValidationResult($"{SettingPath.Of(validationContext)} = '{value}' is invalid: expected {Expected ?? string.Join(", ", Allowed)}.");
    }
}

/// <summary>A text setting of a given form (contracts 2.0): the message names the setting, its value and the form in words.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class SettingPatternAttribute(string pattern, string expected) : ValidationAttribute
{
    private readonly System.Text.RegularExpressions.Regex regex = new(pattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>The form in words ("auto, cpu, cuda or cuda:N").</summary>
    public string Expected { get; } = expected;

    /// <inheritdoc/>
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        value is null || (value is string text && regex.IsMatch(text))
            ? ValidationResult.Success
            : new ValidationResult($"{SettingPath.Of(validationContext)} = '{value}' is invalid: expected {Expected}.");
}

/// <summary>The names an enum setting takes, as written in settings: its members in lower case, hyphenated ("auto, always, never").</summary>
public static class SettingNames
{
    /// <summary>The names of <paramref name="enumType"/>'s members as settings spell them.</summary>
    public static string Of(Type enumType) => string.Join(", ", Enum.GetNames(enumType).Select(Spell));

    /// <summary>A member's name as settings spell it (<c>WarmupMultiStep</c>: <c>warmup-multi-step</c>).</summary>
    public static string Spell(string member) => string.Concat(member.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : "") + char.ToLowerInvariant(c) : c.ToString()));
}

/// <summary>A setting's path from a validation context: the options validators name members "Bbn.Training.Epochs".</summary>
internal static class SettingPath
{
    public static string Of(ValidationContext context) => (context.DisplayName ?? context.MemberName ?? "").Replace('.', ':');
}
