namespace Bbn.Abstractions;

/// <summary>
/// A weight in [0, 1] over training (component kind "adaptor"): a method that moves its attention from one part of its loss
/// to another asks for one in its own section (BBN's cumulative-learning adaptor at Bbn:Method:Adaptor gives its first
/// branch's weight). (Contracts 2.0; IAdaptorSchedule before.)
/// </summary>
public interface IWeightSchedule
{
    /// <summary>The weight in [0, 1] for <paramref name="epoch"/> (from 1) of <paramref name="totalEpochs"/>.</summary>
    double Weight(int epoch, int totalEpochs);

    /// <summary>
    /// The weight for one step. Methods call this one; the default is the epoch's weight. Override it
    /// for schedules that change within an epoch (for example a weight drawn per step), drawing only
    /// from <see cref="ScheduleStep.Random"/> so that runs stay reproducible. (Contracts 1.1.)
    /// </summary>
    double Weight(ScheduleStep position) => Weight(position.Epoch, position.TotalEpochs);
}

/// <summary>Where a step stands, for per-step schedules.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="TotalEpochs">The number of epochs of the run.</param>
/// <param name="Step">The step within the epoch, from 0.</param>
/// <param name="Random">A generator seeded from the run's seed, the epoch and the step.</param>
public sealed record ScheduleStep(int Epoch, int TotalEpochs, int Step, Random Random);
