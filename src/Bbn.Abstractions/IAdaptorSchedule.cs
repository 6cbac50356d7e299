namespace Bbn.Abstractions;

/// <summary>The cumulative-learning adaptor: how much weight the conventional branch gets in an epoch.</summary>
public interface IAdaptorSchedule
{
    /// <summary>alpha in [0, 1] for <paramref name="epoch"/> (from 1) of <paramref name="totalEpochs"/>.</summary>
    double Alpha(int epoch, int totalEpochs);
}
