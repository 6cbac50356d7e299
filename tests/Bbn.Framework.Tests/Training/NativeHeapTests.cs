using System.Globalization;
using System.Runtime.InteropServices;
using Bbn.Core.Runtime;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>Resident memory is process-wide: these run alone.</summary>
[Collection(TorchCollection.Name)]
public sealed class NativeHeapTests
{
    private const int BlockBytes = 2 * 1024 * 1024;
    private const int Blocks = 96;
    private const long AllocatedBytes = (long)BlockBytes * Blocks;

    [Fact]
    public void A_training_threads_freed_heap_stays_mapped_until_released_on_that_thread()
    {
        OperatingSystem.IsLinux().Should().BeTrue("the heap settings are glibc's");
        NativeHeap.KeepFreedMemoryDuringEpochs();
        long before = 0, afterTouch = 0, afterFree = 0, afterRelease = 0;
        // A thread of its own, as the host's training thread and the re-balancing branch thread: it
        // allocates from its own arena of 64 MiB heaps, which glibc unmaps as soon as one is all free.
        RunOnNewThread(() =>
        {
            // A new thread may inherit the arena of one that ended, with that thread's free memory
            // still mapped (as these settings intend): give it back first so the blocks are new pages.
            NativeHeap.Release();
            var ones = Enumerable.Repeat((byte)1, BlockBytes).ToArray();
            var blocks = new nint[Blocks];
            // Nothing between the first block and the last free may allocate from the C heap (reading
            // /proc does): a block above the freed ones would hold the heap's top in place.
            before = AnonymousResidentBytes();
            for (int i = 0; i < Blocks; i++)
            {
                blocks[i] = Marshal.AllocHGlobal(BlockBytes);
                Marshal.Copy(ones, 0, blocks[i], BlockBytes);
            }
            afterTouch = AnonymousResidentBytes();
            for (int i = Blocks - 1; i >= 0; i--) Marshal.FreeHGlobal(blocks[i]);
            afterFree = AnonymousResidentBytes();
            NativeHeap.Release();
            afterRelease = AnonymousResidentBytes();
        });

        (afterTouch - before).Should().BeGreaterThan(AllocatedBytes * 3 / 4, "the blocks were written to new pages");
        (afterTouch - afterFree).Should().BeLessThan(AllocatedBytes / 4, "freed heap memory stays mapped for the next step");
        (afterFree - afterRelease).Should().BeGreaterThan(AllocatedBytes / 2, "releasing on the training thread gives the free heap back");
    }

    private static void RunOnNewThread(Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException("the test thread failed", failure);
    }

    private static long AnonymousResidentBytes()
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("RssAnon:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
