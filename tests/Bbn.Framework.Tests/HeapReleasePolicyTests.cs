using Bbn.Core.Runtime;
using FluentAssertions;

namespace Bbn.Framework.Tests;

public sealed class HeapReleasePolicyTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void The_heap_is_kept_while_resident_memory_stays_within_the_tolerance_of_the_first_two_epochs()
    {
        long resident = 1900 * MiB;
        var policy = new HeapReleasePolicy(0.02, () => resident);

        policy.ShouldRelease().Should().BeFalse("the first epoch sets the reference");
        resident = 2000 * MiB;
        policy.ShouldRelease().Should().BeFalse("the heap is still settling: the second epoch raises the reference");
        resident = 2030 * MiB;
        policy.ShouldRelease().Should().BeFalse("1.5 % above the reference");
        resident = 1990 * MiB;
        policy.ShouldRelease().Should().BeFalse();
    }

    [Fact]
    public void Growth_beyond_the_tolerance_releases_and_the_next_epochs_set_a_new_reference()
    {
        long resident = 2000 * MiB;
        var policy = new HeapReleasePolicy(0.02, () => resident);
        policy.ShouldRelease();
        policy.ShouldRelease();

        resident = 2050 * MiB;
        policy.ShouldRelease().Should().BeTrue("2.5 % above the reference");
        resident = 2050 * MiB;
        policy.ShouldRelease().Should().BeFalse("the epochs after a release measure the new reference");
        resident = 2060 * MiB;
        policy.ShouldRelease().Should().BeFalse();
        resident = 2090 * MiB;
        policy.ShouldRelease().Should().BeFalse("1.5 % above the new reference");
        resident = 2110 * MiB;
        policy.ShouldRelease().Should().BeTrue();
    }

    [Fact]
    public void Tolerance_zero_releases_after_every_epoch()
    {
        var policy = new HeapReleasePolicy(0, () => throw new InvalidOperationException("not measured"));

        Enumerable.Range(0, 3).Select(_ => policy.ShouldRelease()).Should().AllSatisfy(r => r.Should().BeTrue());
    }

    [Fact]
    public void The_default_measure_is_this_process_resident_memory()
    {
        var policy = new HeapReleasePolicy(0.5);
        policy.ShouldRelease().Should().BeFalse();
        policy.ShouldRelease().Should().BeFalse();
        var block = GC.AllocateUninitializedArray<byte>((int)Math.Min(Environment.WorkingSet, int.MaxValue - 4096));
        for (int offset = 0; offset < block.Length; offset += 4096) block[offset] = 1;

        policy.ShouldRelease().Should().BeTrue("touching as many bytes as were resident doubles resident memory");
        GC.KeepAlive(block);
    }
}
