using Bbn.Abstractions;

namespace ShadowSchedules;

/// <summary>Registers a name the built-in schedules already use.</summary>
public sealed class Registrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components) =>
        components.Add<IWeightSchedule>("parabolic", _ => new Half(), "a second parabolic");
}

public sealed class Half : IWeightSchedule
{
    public double Weight(int epoch, int totalEpochs) => 0.5;
}
