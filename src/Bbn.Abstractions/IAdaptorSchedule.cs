namespace Bbn.Abstractions;

/// <summary>The cumulative-learning adaptor: how much weight the conventional branch gets.</summary>
public interface IAdaptorSchedule
{
    /// <summary>alpha in [0, 1] for <paramref name="epoch"/> (from 1) of <paramref name="totalEpochs"/>.</summary>
    double Alpha(int epoch, int totalEpochs);

    /// <summary>
    /// alpha for one step. The trainer calls this one; the default is the epoch's alpha. Override it
    /// for schedules that change within an epoch (for example alpha drawn per step), drawing only
    /// from <see cref="AdaptorStep.Random"/> so that runs stay reproducible. (Contracts 1.1.)
    /// </summary>
    double Alpha(AdaptorStep position) => Alpha(position.Epoch, position.TotalEpochs);
}

/// <summary>Where a step stands, for per-step schedules.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="TotalEpochs">The number of epochs of the run.</param>
/// <param name="Step">The step within the epoch, from 0.</param>
/// <param name="Random">A generator seeded from the run's seed, the epoch and the step.</param>
public sealed record AdaptorStep(int Epoch, int TotalEpochs, int Step, Random Random);
