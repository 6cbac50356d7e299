using Bbn.Abstractions;
namespace Bbn.Hosting.Distributed;

/// <summary>Bbn:Distributed: whether and how a run trains data-parallel over MPI ranks.</summary>
public sealed class DistributedOptions
{
    /// <summary>auto: MPI when the process was started by mpirun with more than one rank; none: never (each process is a run of its own); mpi: always (fails without an MPI library).</summary>
    [SettingOneOf]
    public DistributedBackend Backend { get; set; } = DistributedBackend.Auto;

    /// <summary>Open MPI's libmpi, by file name (searched as dlopen searches) or path.</summary>
    public string Library { get; set; } = "libmpi.so.40";

    /// <summary>The largest gradient bucket of one all-reduce call, in MiB (DistributedDataParallel's bucket_cap_mb).</summary>
    [SettingRange(0.001, 1_000_000)]
    public double BucketMegabytes { get; set; } = 25;

    /// <summary>Every how many steps the ranks compare a digest of their weights and stop if one differs; 0: never (a check for tests and new transports).</summary>
    [SettingRange(0, int.MaxValue, What = "an integer (0: never)")]
    public int CheckWeightsEvery { get; set; }

    /// <summary>How long a rank may take to stop after a stop request before it exits anyway (a rank whose peer died never would).</summary>
    [SettingRange(0.1, 86_400)]
    public double StopTimeoutSeconds { get; set; } = 30;
}

/// <summary>Bbn:Distributed:Backend.</summary>
public enum DistributedBackend
{
    /// <summary>MPI when mpirun started more than one rank.</summary>
    Auto,

    /// <summary>Never: each process is a run of its own.</summary>
    None,

    /// <summary>Always (fails without an MPI library).</summary>
    Mpi,
}

/// <summary>What mpirun (Open MPI) or a PMI launcher tells a process of its place in the job, read from the environment.</summary>
public static class MpiLaunch
{
    /// <summary>The job's ranks, 1 outside mpirun.</summary>
    public static int Size => Read("OMPI_COMM_WORLD_SIZE", "PMI_SIZE") ?? 1;

    /// <summary>This process's rank, 0 outside mpirun.</summary>
    public static int Rank => Read("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK") ?? 0;

    /// <summary>The ranks on this machine (they share its cores and GPUs).</summary>
    public static int LocalSize => Read("OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS") ?? 1;

    /// <summary>This process's rank among those of this machine.</summary>
    public static int LocalRank => Read("OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID") ?? 0;

    /// <summary>Whether the process runs data-parallel under <paramref name="backend"/>.</summary>
    public static bool Joins(DistributedBackend backend) => backend switch
    {
        DistributedBackend.None => false,
        DistributedBackend.Mpi => true,
        _ => Size > 1,
    };

    private static int? Read(params string[] names)
    {
        foreach (string name in names)
            if (int.TryParse(Environment.GetEnvironmentVariable(name), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value))
                return value;
        return null;
    }
}
