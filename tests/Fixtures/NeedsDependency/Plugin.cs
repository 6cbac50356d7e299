using Bbn.Abstractions;
using DependencyLibrary;

namespace NeedsDependency;

/// <summary>Its registrar's type derives from a type in DependencyLibrary, so loading it needs that assembly.</summary>
public sealed class Registrar : IPluginRegistrar
{
    private static readonly double Value = Helper.Half;

    public void Register(IComponentRegistry components) =>
        components.Add<IAdaptorSchedule>("needs-helper", _ => new Schedule(Value), "uses DependencyLibrary");
}

public sealed class Schedule(double value) : IAdaptorSchedule
{
    public double Alpha(int epoch, int totalEpochs) => value;
}
