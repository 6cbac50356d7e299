namespace Bbn.Core.Data;

/// <summary>
/// Derives independent, reproducible seeds from the run's seed, so that every random choice of a
/// step is a pure function of (seed, stream, epoch, step). Resuming therefore needs no RNG state
/// beyond the position in the run.
/// </summary>
public static class SeedStreams
{
    public static int Derive(int seed, string stream, int epoch = 0, int step = 0)
    {
        ulong x = SplitMix((ulong)(uint)seed ^ Fnv1a(stream));
        x = SplitMix(x ^ (ulong)(uint)epoch);
        x = SplitMix(x ^ ((ulong)(uint)step << 32));
        return (int)(x & 0x7FFFFFFF);
    }

    public static Random Random(int seed, string stream, int epoch = 0, int step = 0) => new(Derive(seed, stream, epoch, step));

    private static ulong SplitMix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    // string.GetHashCode is randomised per process; this one is stable.
    private static ulong Fnv1a(string text)
    {
        ulong hash = 14695981039346656037UL;
        foreach (char c in text)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return hash;
    }
}
