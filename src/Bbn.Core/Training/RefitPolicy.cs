using System.Globalization;
using Bbn.Core.Evaluation;

namespace Bbn.Core.Training;

/// <summary>Whether a run trains again on its validation images once they have chosen the epoch and the inference knobs, and why.</summary>
public static class RefitPolicy
{
    /// <summary>The share of the training subset above which Refit = auto refits: a tenth held out of a small folder cost BBN 20 points.</summary>
    public const double AutoShare = 0.02;

    /// <summary>The decision for a run whose split took <paramref name="heldFromTrain"/> of the subset's <paramref name="subsetImages"/>; the reason is the log's line.</summary>
    public static (bool Refit, string Reason) Decide(RefitMode setting, int heldFromTrain, int subsetImages, int ranks)
    {
        double share = subsetImages == 0 ? 0 : heldFromTrain / (double)subsetImages;
        string taken = string.Create(CultureInfo.InvariantCulture, $"the validation split took {heldFromTrain} of the {subsetImages} training images ({share:P1})");
        if (setting == RefitMode.Never || heldFromTrain == 0)
            return (false, heldFromTrain == 0 ? "no refit: the validation split took no training image" : $"no refit (Bbn:Validation:Refit = never): {taken}");
        if (setting == RefitMode.Auto && share <= AutoShare)
            return (false, string.Create(CultureInfo.InvariantCulture, $"no refit: {taken}, at most {AutoShare:P0} (Bbn:Validation:Refit = always refits anyway)"));
        if (ranks > 1)
            return (false, $"no refit: {taken}, but a refit under mpirun is not supported yet; the selection run is the result");
        return (true, $"refit: {taken}; once they have chosen the epoch and the inference knobs, the run trains again on all {subsetImages} (Bbn:Validation:Refit = never keeps the selection run)");
    }
}
