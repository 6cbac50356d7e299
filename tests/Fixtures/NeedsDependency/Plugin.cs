using Bbn.Abstractions;
using DependencyLibrary;

namespace NeedsDependency;

/// <summary>Registering calls into DependencyLibrary, so loading this plugin needs that assembly.</summary>
public sealed class Registrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components) =>
        components.Add<IWeightSchedule>("needs-helper", _ => new Schedule(Helper.Half), $"alpha fixed at {Helper.Half}");
}

public sealed class Schedule(double value) : IWeightSchedule
{
    public double Weight(int epoch, int totalEpochs) => value;
}
