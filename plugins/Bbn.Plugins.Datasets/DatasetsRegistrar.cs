using Bbn.Abstractions;

namespace Bbn.Plugins.Datasets;

public sealed class DatasetsRegistrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components)
    {
        components.Add<IDatasetSource>("fashion-mnist", FashionMnist.Create, "Fashion-MNIST (IDX, gzip), 28x28 grey padded to 32x32, 10 classes");
    }
}
