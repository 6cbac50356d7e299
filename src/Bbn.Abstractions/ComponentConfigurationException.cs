namespace Bbn.Abstractions;

/// <summary>A component's setting has a value the component cannot use.</summary>
public sealed class ComponentConfigurationException : Exception
{
    /// <summary>Creates the error for <paramref name="settingPath"/>.</summary>
    public ComponentConfigurationException(string settingPath, string? value, string allowed)
        : base($"Setting {settingPath} = '{value}' is invalid: expected {allowed}. Fix it in appsettings.json or override it with --{settingPath}=<value>.")
    {
        SettingPath = settingPath;
        Value = value;
        Allowed = allowed;
    }

    /// <summary>The full configuration path, for example <c>Bbn:Loss:Gamma</c>.</summary>
    public string SettingPath { get; }

    /// <summary>The rejected value as written.</summary>
    public string? Value { get; }

    /// <summary>What the setting accepts.</summary>
    public string Allowed { get; }
}
