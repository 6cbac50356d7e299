namespace Bbn.Core.Distributed;

/// <summary>
/// The processes of one data-parallel run and the collectives they share. Every rank calls every
/// collective in the same order with the same sizes (the training loop and its hooks do so by
/// construction: each decision that leads to a collective is itself agreed or deterministic).
/// </summary>
public interface IProcessGroup : IDisposable
{
    /// <summary>This process's rank, from 0; rank 0 writes the run directory.</summary>
    int Rank { get; }

    /// <summary>The number of ranks.</summary>
    int Size { get; }

    /// <summary>How the ranks talk (a log line): "one process", "Open MPI 4.1.4, 2 ranks".</summary>
    string Description { get; }

    /// <summary>Sums <paramref name="count"/> values element-wise over the ranks, in place.</summary>
    void AllReduceSum(float[] values, int count);

    /// <summary>Sums the values element-wise over the ranks, in place.</summary>
    void AllReduceSum(double[] values);

    /// <summary>Rank 0's <paramref name="data"/> on every rank (other ranks pass null).</summary>
    byte[] Broadcast(byte[]? data);

    /// <summary>Every rank's <paramref name="mine"/>, by rank; every rank passes the same length.</summary>
    byte[][] AllGather(byte[] mine);

    /// <summary>Ends every rank's process with <paramref name="code"/> (a rank that failed, so that the others do not wait for it).</summary>
    void Abort(int code);
}

/// <summary>What the loop asks of a group, built from its collectives.</summary>
public static class ProcessGroupExtensions
{
    public static bool IsRoot(this IProcessGroup group) => group.Rank == 0;

    /// <summary>Whether any rank says <paramref name="mine"/>: every rank learns it at the same step (a stop request).</summary>
    public static bool AnyTrue(this IProcessGroup group, bool mine)
    {
        if (group.Size == 1) return mine;
        var flag = new[] { mine ? 1.0 : 0.0 };
        group.AllReduceSum(flag);
        return flag[0] > 0;
    }

    /// <summary>The mean of <paramref name="value"/> over the ranks.</summary>
    public static double Average(this IProcessGroup group, double value)
    {
        if (group.Size == 1) return value;
        var sum = new[] { value };
        group.AllReduceSum(sum);
        return sum[0] / group.Size;
    }
}

/// <summary>A run of one process: every collective is the identity.</summary>
public sealed class SingleProcess : IProcessGroup
{
    public static SingleProcess Instance { get; } = new();

    public int Rank => 0;
    public int Size => 1;
    public string Description => "one process";

    public void AllReduceSum(float[] values, int count)
    {
        // One rank: the sum is the value.
    }

    public void AllReduceSum(double[] values)
    {
        // One rank: the sum is the value.
    }

    public byte[] Broadcast(byte[]? data) => data ?? throw new ArgumentNullException(nameof(data), "Rank 0 broadcasts its data.");

    public byte[][] AllGather(byte[] mine) => [mine];

    public void Abort(int code) => Environment.Exit(code);

    public void Dispose()
    {
        // Nothing to finalise.
    }
}
