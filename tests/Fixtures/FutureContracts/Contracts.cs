namespace Bbn.Abstractions;

public interface IComponentRegistry
{
    void Add<TComponent>(string name, Func<object, TComponent> factory, string description, int priority) where TComponent : class;
}

public interface IPluginRegistrar
{
    void Register(IComponentRegistry components);
}

public interface IWeightSchedule
{
    double Weight(int epoch, int totalEpochs);
}
