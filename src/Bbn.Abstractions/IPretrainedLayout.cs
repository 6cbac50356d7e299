namespace Bbn.Abstractions;

/// <summary>
/// How a backbone's parameters are named in a public model zoo's ResNet (torchvision's and timm's share the names), so that the
/// kernel can start the backbone from their weights (Bbn:Backbone:Pretrained). A backbone that has such a twin returns it in
/// <see cref="BackboneParts.Layout"/>. (Contracts 1.7.)
/// </summary>
public interface IPretrainedLayout
{
    /// <summary>Where the zoo's tensor <paramref name="name"/> (conv1.weight, layer4.1.bn2.bias) goes; null: it has no place in this backbone.</summary>
    PretrainedPlace? Place(string name);

    /// <summary>The stage of a trunk parameter or buffer (its name inside the trunk): 0 the stem, 1 to 4 layer1 to layer4; for Bbn:Backbone:FreezeStages.</summary>
    int StageOf(string trunkName);
}

/// <summary>Which part of the network a pretrained tensor initialises.</summary>
public enum PretrainedPart
{
    /// <summary>The shared trunk.</summary>
    Trunk,

    /// <summary>Every branch's own block (BBN's two copies of the last block both start from the same pretrained block).</summary>
    Branch,

    /// <summary>Not used: the zoo's classifier (the data set's classes get a fresh one).</summary>
    Ignored,
}

/// <summary>A pretrained tensor's place: the part and the name inside that part's module.</summary>
public sealed record PretrainedPlace(PretrainedPart Part, string Name);
