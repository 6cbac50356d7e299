using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Bbn.Abstractions;

/// <summary>What a component factory receives: its name, its configuration section and the services.</summary>
public sealed class ComponentContext
{
    /// <summary>Creates a context.</summary>
    public ComponentContext(string name, IConfigurationSection settings, IServiceProvider services)
    {
        Name = name;
        section = settings;
        Services = services;
    }

    /// <summary>The name the component was selected by.</summary>
    public string Name { get; }

    /// <summary>The component's own configuration section (for example <c>Bbn:Loss</c>).</summary>
    public IConfigurationSection Settings
    {
        get
        {
            ReadsSettingsDirectly = true;
            return section;
        }
    }

    private readonly IConfigurationSection section;
    private readonly HashSet<string> readKeys = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The keys of <see cref="Settings"/> this component asked for through <see cref="Get{T}"/>,
    /// <see cref="GetInRange"/> and <see cref="Bind{TOptions}"/> (the options class's properties): the host
    /// reports any other key of the section as a setting nothing reads. (Contracts 1.6.)
    /// </summary>
    public IReadOnlyCollection<string> ReadKeys => readKeys;

    /// <summary>True once the component used <see cref="Settings"/> itself: the host then cannot tell which keys it reads, and checks none of its section. (Contracts 1.6.)</summary>
    public bool ReadsSettingsDirectly { get; private set; }

    /// <summary>The host's services.</summary>
    public IServiceProvider Services { get; }

    /// <summary>Reads a setting of the component's section, or <paramref name="defaultValue"/> when absent.</summary>
    /// <exception cref="ComponentConfigurationException">The value cannot be read as <typeparamref name="T"/>.</exception>
    public T Get<T>(string key, T defaultValue)
    {
        readKeys.Add(key);
        string? raw = section[key];
        if (raw is null) return defaultValue;
        try
        {
            return section.GetValue(key, defaultValue)!;
        }
        catch (InvalidOperationException)
        {
            throw Invalid(key, raw, $"a value of type {typeof(T).Name}");
        }
    }

    /// <summary>Reads a number that must lie in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public double GetInRange(string key, double defaultValue, double min, double max)
    {
        double value = Get(key, defaultValue);
        if (double.IsNaN(value) || value < min || value > max)
            throw Invalid(key, value.ToString(CultureInfo.InvariantCulture), $"a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
        return value;
    }

    /// <summary>
    /// Binds the component's section to a new <typeparamref name="TOptions"/> and validates it with
    /// its DataAnnotations attributes ([Range], [Required], ...), so that a component's own options
    /// class is checked at start like the kernel's.
    /// </summary>
    /// <exception cref="ComponentConfigurationException">A value does not bind or breaks an attribute.</exception>
    public TOptions Bind<TOptions>() where TOptions : class, new()
    {
        var options = new TOptions();
        foreach (var property in typeof(TOptions).GetProperties()) readKeys.Add(property.Name);
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            throw new ComponentConfigurationException(section.Path, null, $"values of the types of {typeof(TOptions).Name} ({e.Message})");
        }
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            var first = results[0];
            string member = first.MemberNames.FirstOrDefault() ?? "";
            var property = typeof(TOptions).GetProperty(member);
            string allowed = property?.GetCustomAttributes(typeof(RangeAttribute), true).FirstOrDefault() is RangeAttribute range
                ? string.Create(CultureInfo.InvariantCulture, $"a number from {range.Minimum} to {range.Maximum}")
                : first.ErrorMessage ?? "a valid value";
            throw new ComponentConfigurationException($"{section.Path}:{member}", Convert.ToString(property?.GetValue(options), CultureInfo.InvariantCulture), allowed);
        }
        return options;
    }

    /// <summary>
    /// Another component, selected by <c>Name</c> in the section <paramref name="sectionPath"/>
    /// (<paramref name="defaultName"/> when it names none) and created from that section: how a method
    /// gets its adaptor schedule or a stage's sampler. (Contracts 1.3.)
    /// </summary>
    /// <exception cref="ComponentConfigurationException">No component of that kind has the name; the message lists those that do.</exception>
    /// <remarks>A section inside this component's own (<c>Bbn:Method:Adaptor</c> of the method at <c>Bbn:Method</c>) counts as one of its read keys.</remarks>
    public TComponent Component<TComponent>(string sectionPath, string? defaultName = null) where TComponent : class
    {
        if (sectionPath.StartsWith(section.Path + ":", StringComparison.OrdinalIgnoreCase))
            readKeys.Add(sectionPath[(section.Path.Length + 1)..].Split(':')[0]);
        return Services.GetService(typeof(IComponentSource)) is IComponentSource source
            ? source.Create<TComponent>(sectionPath, defaultName)
            : throw new InvalidOperationException("The host provides no IComponentSource.");
    }

    /// <summary>An error naming the full setting path, the bad value and what is allowed.</summary>
    public ComponentConfigurationException Invalid(string key, string? value, string allowed) =>
        new($"{section.Path}:{key}", value, allowed);
}
