namespace Bbn.Core.Distributed;

/// <summary>The ranks of an mpirun job (MPI_COMM_WORLD) through Open MPI's collectives.</summary>
public sealed unsafe class MpiProcessGroup : IProcessGroup
{
    private readonly OpenMpi mpi;
    private bool disposed;

    private MpiProcessGroup(OpenMpi mpi)
    {
        this.mpi = mpi;
        Rank = mpi.Rank();
        Size = mpi.Size();
        Description = $"{mpi.Version()}, rank {Rank} of {Size}";
    }

    /// <summary>Loads <paramref name="library"/> and joins the job (MPI_Init_thread).</summary>
    public static MpiProcessGroup Join(string library)
    {
        var mpi = OpenMpi.Load(library);
        mpi.Initialize();
        return new MpiProcessGroup(mpi);
    }

    public int Rank { get; }
    public int Size { get; }
    public string Description { get; }

    public void AllReduceSum(float[] values, int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, values.Length);
        fixed (float* p = values) mpi.AllReduceSum(p, count, mpi.Float);
    }

    public void AllReduceSum(double[] values)
    {
        fixed (double* p = values) mpi.AllReduceSum(p, values.Length, mpi.Double);
    }

    public byte[] Broadcast(byte[]? data)
    {
        var length = new long[] { Rank == 0 ? (data ?? throw new ArgumentNullException(nameof(data), "Rank 0 broadcasts its data.")).LongLength : 0 };
        fixed (long* p = length) mpi.Broadcast(p, sizeof(long));
        var received = Rank == 0 ? data! : new byte[length[0]];
        // MPI counts are ints: large payloads (a checkpoint) go in pieces.
        const int Piece = 1 << 30;
        fixed (byte* p = received)
            for (long offset = 0; offset < received.LongLength; offset += Piece)
                mpi.Broadcast(p + offset, (int)Math.Min(Piece, received.LongLength - offset));
        return received;
    }

    public byte[][] AllGather(byte[] mine)
    {
        var all = new byte[mine.Length * Size];
        fixed (byte* m = mine)
        fixed (byte* a = all)
            mpi.AllGather(m, mine.Length, a);
        return Enumerable.Range(0, Size).Select(r => all.AsSpan(r * mine.Length, mine.Length).ToArray()).ToArray();
    }

    public void Abort(int code) => mpi.Abort(code);

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        mpi.Shutdown();
    }
}
