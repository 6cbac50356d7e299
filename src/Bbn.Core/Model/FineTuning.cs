namespace Bbn.Core.Model;

/// <summary>
/// Starting from a model zoo's weights and how much of them trains (Bbn:Backbone's kernel settings): the file, whether every tensor
/// must match, the stages that stay frozen, the trunk's learning rate as a share of the schedule's, and batch norm kept as pretrained.
/// </summary>
/// <param name="Pretrained">A torchvision or timm ResNet state_dict (.pth) or safetensors file; null: a fresh backbone.</param>
/// <param name="Strict">Every tensor of the backbone must come from the file, and every tensor of the file must find its place.</param>
/// <param name="FreezeStages">0: everything trains; N: the stem and layer1 to layerN of the trunk do not (4: the whole shared trunk).</param>
/// <param name="TrunkLearningRateScale">The trunk's learning rate as a multiple of the schedule's (0.1: a tenth).</param>
/// <param name="FreezeNorm">The trunk's batch norms stay in evaluation mode: the pretrained running statistics are kept.</param>
public sealed record FineTuning(string? Pretrained = null, bool Strict = true, int FreezeStages = 0, double TrunkLearningRateScale = 1, bool FreezeNorm = false)
{
    /// <summary>Whether part of the trunk does not train as the rest of the network does.</summary>
    public bool ChangesTraining => FreezeStages > 0 || FreezeNorm || TrunkLearningRateScale != 1;
}
