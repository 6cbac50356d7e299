namespace Bbn.Abstractions;

/// <summary>
/// The entry point of a plugin assembly. The kernel creates every public, non-abstract type that
/// implements this interface (it needs a public parameterless constructor) and calls
/// <see cref="Register"/> once at start.
/// </summary>
public interface IPluginRegistrar
{
    /// <summary>Adds this assembly's components to <paramref name="components"/>.</summary>
    void Register(IComponentRegistry components);
}
