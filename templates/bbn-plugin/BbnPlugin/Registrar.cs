using Bbn.Abstractions;

namespace BbnPlugin;

/// <summary>The plugin's entry point: the host finds this class and registers its components by name.</summary>
public sealed class Registrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components)
    {
#if (kind == "sampler")
        // Chosen with --Bbn:Method:Samplers:Rebalancing:Name=my-component (or Conventional).
        components.Add<ISampler>("my-component", c => new Sampler(c.Bind<SamplerOptions>()),
            "class i with probability proportional to N_i^-Power, then an image of it uniformly");
#elif (kind == "adaptor")
        // Chosen with --Bbn:Method:Adaptor:Name=my-component.
        components.Add<IWeightSchedule>("my-component", c => new AdaptorSchedule(c.Bind<AdaptorScheduleOptions>()),
            "alpha = 1 - (t/T)^Power: from the conventional branch to the re-balancing branch");
#endif
    }
}
