using System.Runtime.InteropServices;
using System.Text;

namespace Bbn.Core.Distributed;

/// <summary>
/// Open MPI's C API, loaded at run time (so that a process not under mpirun never needs an MPI
/// library). The handles MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ... are the addresses of Open MPI's
/// predefined objects (ompi_mpi_comm_world, ...), as its mpi.h defines them: this is Open MPI's ABI
/// (MPICH's integer handles differ). libmpi is opened RTLD_GLOBAL because Open MPI's components,
/// which it opens itself, resolve symbols against it.
/// </summary>
internal sealed unsafe partial class OpenMpi
{
    private const int RtldNow = 2, RtldGlobal = 0x100;
    private const int ThreadSerialized = 2;
    private static readonly IntPtr InPlace = 1; // MPI_IN_PLACE in Open MPI's mpi.h

    private readonly delegate* unmanaged<int*, int> initialized;
    private readonly delegate* unmanaged<int*, IntPtr, int, int*, int> initThread;
    private readonly delegate* unmanaged<IntPtr, int*, int> commRank;
    private readonly delegate* unmanaged<IntPtr, int*, int> commSize;
    private readonly delegate* unmanaged<IntPtr, void*, int, IntPtr, IntPtr, IntPtr, int> allreduce;
    private readonly delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int> bcast;
    private readonly delegate* unmanaged<void*, int, IntPtr, void*, int, IntPtr, IntPtr, int> allgather;
    private readonly delegate* unmanaged<IntPtr, int, int> abort;
    private readonly delegate* unmanaged<int> finalize;
    private readonly delegate* unmanaged<int*, int> finalized;
    private readonly delegate* unmanaged<byte*, int*, int> libraryVersion;

    public IntPtr World { get; }
    public IntPtr Float { get; }
    public IntPtr Double { get; }
    public IntPtr Byte { get; }
    public IntPtr Sum { get; }

    private OpenMpi(IntPtr library)
    {
        initialized = (delegate* unmanaged<int*, int>)Export(library, "MPI_Initialized");
        initThread = (delegate* unmanaged<int*, IntPtr, int, int*, int>)Export(library, "MPI_Init_thread");
        commRank = (delegate* unmanaged<IntPtr, int*, int>)Export(library, "MPI_Comm_rank");
        commSize = (delegate* unmanaged<IntPtr, int*, int>)Export(library, "MPI_Comm_size");
        allreduce = (delegate* unmanaged<IntPtr, void*, int, IntPtr, IntPtr, IntPtr, int>)Export(library, "MPI_Allreduce");
        bcast = (delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int>)Export(library, "MPI_Bcast");
        allgather = (delegate* unmanaged<void*, int, IntPtr, void*, int, IntPtr, IntPtr, int>)Export(library, "MPI_Allgather");
        abort = (delegate* unmanaged<IntPtr, int, int>)Export(library, "MPI_Abort");
        finalize = (delegate* unmanaged<int>)Export(library, "MPI_Finalize");
        finalized = (delegate* unmanaged<int*, int>)Export(library, "MPI_Finalized");
        libraryVersion = (delegate* unmanaged<byte*, int*, int>)Export(library, "MPI_Get_library_version");
        World = Export(library, "ompi_mpi_comm_world");
        Float = Export(library, "ompi_mpi_float");
        Double = Export(library, "ompi_mpi_double");
        Byte = Export(library, "ompi_mpi_byte");
        Sum = Export(library, "ompi_mpi_op_sum");
    }

    /// <summary>Opens <paramref name="path"/> (a file name is searched as dlopen searches).</summary>
    public static OpenMpi Load(string path)
    {
        IntPtr library = DlOpen(path, RtldNow | RtldGlobal);
        if (library == IntPtr.Zero)
            throw new DistributedException(
                $"Bbn:Distributed:Library = '{path}' could not be opened ({Marshal.PtrToStringUTF8(DlError())}). " +
                "Install Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev, or scripts/install-mpi.sh), or set Bbn:Distributed:Library to its libmpi.so.");
        return new OpenMpi(library);
    }

    private static IntPtr Export(IntPtr library, string name) =>
        NativeLibrary.TryGetExport(library, name, out var address) ? address
            : throw new DistributedException($"The MPI library has no symbol {name}: Bbn:Distributed:Library must name Open MPI's libmpi (other MPI implementations are not supported).");

    /// <summary>MPI_Init_thread with MPI_THREAD_SERIALIZED (the trainer's thread makes every call, one at a time); a no-op when already initialised.</summary>
    public void Initialize()
    {
        int flag;
        Check(initialized(&flag), "MPI_Initialized");
        if (flag != 0) return;
        int provided;
        Check(initThread(null, IntPtr.Zero, ThreadSerialized, &provided), "MPI_Init_thread");
        if (provided < ThreadSerialized)
            throw new DistributedException($"The MPI library offers thread level {provided}; the trainer needs MPI_THREAD_SERIALIZED ({ThreadSerialized}).");
    }

    public int Rank()
    {
        int rank;
        Check(commRank(World, &rank), "MPI_Comm_rank");
        return rank;
    }

    public int Size()
    {
        int size;
        Check(commSize(World, &size), "MPI_Comm_size");
        return size;
    }

    public string Version()
    {
        var text = new byte[8192];
        int length;
        fixed (byte* p = text) Check(libraryVersion(p, &length), "MPI_Get_library_version");
        string version = Encoding.UTF8.GetString(text, 0, Math.Clamp(length, 0, text.Length));
        int comma = version.IndexOf(',', StringComparison.Ordinal);
        return (comma > 0 ? version[..comma] : version).Trim().TrimEnd('\0');
    }

    public void AllReduceSum(void* values, int count, IntPtr type) => Check(allreduce(InPlace, values, count, type, Sum, World), "MPI_Allreduce");

    public void Broadcast(void* data, int count) => Check(bcast(data, count, Byte, 0, World), "MPI_Bcast");

    public void AllGather(void* mine, int count, void* all) => Check(allgather(mine, count, Byte, all, count, Byte, World), "MPI_Allgather");

    public void Abort(int code) => abort(World, code);

    /// <summary>MPI_Finalize, once.</summary>
    public void Shutdown()
    {
        int flag;
        if (finalized(&flag) == 0 && flag == 0) _ = finalize();
    }

    private static void Check(int code, string call)
    {
        if (code != 0) throw new DistributedException($"{call} failed with MPI error {code}.");
    }

    [LibraryImport("libc", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr DlOpen(string path, int flags);

    [LibraryImport("libc", EntryPoint = "dlerror")]
    private static partial IntPtr DlError();
}

/// <summary>A data-parallel run cannot start or go on: the message names the setting or the rank.</summary>
public sealed class DistributedException(string message, Exception? inner = null) : Exception(message, inner);
