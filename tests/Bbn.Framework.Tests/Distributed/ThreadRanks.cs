using Bbn.Core.Distributed;

namespace Bbn.Framework.Tests;

/// <summary>In-process ranks on threads for the collectives' tests: each call waits for every rank's part, then all see the sum.</summary>
internal sealed class ThreadRanks : IDisposable
{
    private readonly Barrier barrier;
    private readonly double[][] parts;

    private ThreadRanks(int size)
    {
        barrier = new Barrier(size);
        parts = new double[size][];
    }

    public static ThreadRanks Create(int size) => new(size);

    public IProcessGroup this[int rank] => new ThreadRank(this, rank, parts.Length);

    public void Dispose() => barrier.Dispose();

    private sealed class ThreadRank(ThreadRanks shared, int rank, int size) : IProcessGroup
    {
        public int Rank => rank;
        public int Size => size;
        public string Description => $"thread rank {rank} of {size}";

        public void AllReduceSum(double[] values)
        {
            shared.parts[rank] = values.ToArray();
            shared.barrier.SignalAndWait();
            for (int i = 0; i < values.Length; i++) values[i] = shared.parts.Sum(p => p[i]);
            shared.barrier.SignalAndWait();
        }

        public void AllReduceSum(float[] values, int count) => throw new NotSupportedException();
        public byte[] Broadcast(byte[]? data) => throw new NotSupportedException();
        public byte[][] AllGather(byte[] mine) => throw new NotSupportedException();
        public void Abort(int code) => throw new NotSupportedException();

        public void Dispose()
        {
            // Nothing to release.
        }
    }
}
