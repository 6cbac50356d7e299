using Bbn.Abstractions;

namespace Bbn.Plugins.Datasets;

public sealed class DatasetsRegistrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components)
    {
        components.Add<IDatasetSource>("fashion-mnist", FashionMnist.Create, "Fashion-MNIST (IDX, gzip), 28x28 grey padded to 32x32 (Padding: 2), 10 classes");
        components.Add<IDatasetSource>("cifar10", Cifar.Create10, "CIFAR-10 (binary version: data_batch_1..5.bin, test_batch.bin), 32x32 colour, 10 classes");
        components.Add<IDatasetSource>("cifar100", Cifar.Create100, "CIFAR-100 (binary version: train.bin, test.bin, fine labels), 32x32 colour, 100 classes");
        components.Add<IDatasetSource>("inaturalist", INaturalist.Create, "iNaturalist 2017/2018 (BBN JSON annotations, JPEG files under Root), decoded while training; ImageNet recipe");
        components.Add<IDatasetSource>("image-folder", ImageFolder.Create, "Root/train/<class>/<images> and Root/test/<class>/<images> (JPEG, PNG, ...), decoded while training; Recipe imagenet or cifar");
    }
}
