using Bbn.Abstractions;

namespace Bbn.Samples.Plugin;

/// <summary>The plugin's entry point: registers its two components by name.</summary>
public sealed class SampleRegistrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components)
    {
        components.Add<ISampler>("inverse-square-root", _ => new InverseSquareRootSampler(),
            "class i with probability proportional to 1/sqrt(N_i), then an image of it uniformly (sample plugin)");
        components.Add<IBackbone>("tiny-cnn", c => new TinyCnn(c.Bind<TinyCnnOptions>()),
            "a small 3-block CNN for quick experiments; Width sets the channels (sample plugin)");
    }
}
