using System.Globalization;

namespace Bbn.Core.Training;

/// <summary>
/// A step's loss or gradient was not finite (NaN or infinite): the run stops before that step's
/// update, so the last checkpoint (written at the end of the previous epoch) stays the last good one.
/// </summary>
public sealed class DivergenceException(int stage, int epoch, int step, double learningRate, string what)
    : Exception(string.Create(CultureInfo.InvariantCulture,
        $"The run diverged at stage {stage}, epoch {epoch}, step {step + 1} (learning rate {learningRate:G4}): the {what} is not finite. ") + Advice)
{
    private const string Advice = "The last checkpoint is the last good one. Lower Bbn:Training:LearningRate, set Bbn:Training:ClipGradientNorm, " +
        "or let Bbn:Training:SkipNonFiniteSteps skip such steps.";

    public int Stage { get; } = stage;
    public int Epoch { get; } = epoch;
    public int Step { get; } = step;
}
