namespace Bbn.Abstractions;

/// <summary>Creates components selected in configuration; the host provides it to component factories. (Contracts 1.3.)</summary>
public interface IComponentSource
{
    /// <summary>The component named by <c>sectionPath:Name</c> (or <paramref name="defaultName"/>), created from that section.</summary>
    /// <exception cref="ComponentConfigurationException">No component is named, or none of kind <typeparamref name="TComponent"/> has the name.</exception>
    TComponent Create<TComponent>(string sectionPath, string? defaultName = null) where TComponent : class;
}
