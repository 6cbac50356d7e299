using Bbn.Abstractions;

namespace DropInSchedule;

/// <summary>A schedule that a user drops in: alpha is the configured Value for every epoch.</summary>
public sealed class Registrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components) =>
        components.Add<IWeightSchedule>("constant", c => new Constant(c.GetInRange("Value", 0.5, 0, 1)), "alpha fixed at Value");
}

public sealed class Constant(double value) : IWeightSchedule
{
    public double Weight(int epoch, int totalEpochs) => value;
}
