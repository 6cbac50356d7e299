using System.Globalization;
using System.Text.RegularExpressions;
using Bbn.Abstractions;

namespace Bbn.Plugins.Backbones;

/// <summary>
/// torchvision's (and timm's) ResNet names on the ImageNet trunk: conv1/bn1 are the stem, layerS.B the trunk's blocks, and the last
/// block of layer4 is every branch's own block; fc is the zoo's classifier, which the data set's classes replace.
/// </summary>
internal sealed partial class TorchvisionLayout(int[] blocksPerStage) : IPretrainedLayout
{
    public PretrainedPlace? Place(string name)
    {
        if (name.StartsWith("fc.", StringComparison.Ordinal)) return new PretrainedPlace(PretrainedPart.Ignored, name);
        if (name.StartsWith("conv1.", StringComparison.Ordinal) || name.StartsWith("bn1.", StringComparison.Ordinal))
            return new PretrainedPlace(PretrainedPart.Trunk, "stem." + name);
        if (Block().Match(name) is not { Success: true } m) return null;
        int stage = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), block = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        if (stage is < 1 or > 4 || block >= blocksPerStage[stage - 1]) return null;
        string rest = m.Groups[3].Value;
        return stage == 4 && block == blocksPerStage[3] - 1
            ? new PretrainedPlace(PretrainedPart.Branch, "block." + rest)
            : new PretrainedPlace(PretrainedPart.Trunk, $"layers.layer{stage}_{block}.{rest}");
    }

    public int StageOf(string trunkName) =>
        TrunkBlock().Match(trunkName) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"^layer(\d+)\.(\d+)\.(.+)$")]
    private static partial Regex Block();

    [GeneratedRegex(@"^layers\.layer(\d+)_")]
    private static partial Regex TrunkBlock();
}
