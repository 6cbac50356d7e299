using System.Collections.Concurrent;

namespace Bbn.Core.Training;

/// <summary>
/// One long-lived thread that runs the second branch's work while the caller runs the
/// first branch's. Long-lived because OpenMP keeps a thread team per calling thread: a
/// thread-pool thread per step would leave a team behind each time.
/// </summary>
internal sealed class BranchThread : IDisposable
{
    private readonly BlockingCollection<(Action Work, TaskCompletionSource Done)> queue = new();
    private readonly Thread thread;

    public BranchThread(string name)
    {
        thread = new Thread(Loop) { IsBackground = true, Name = name };
        thread.Start();
    }

    /// <summary>Starts <paramref name="work"/> on the thread; the task ends with it, or with its exception.</summary>
    public Task Start(Action work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        queue.Add((work, done));
        return done.Task;
    }

    private void Loop()
    {
        foreach (var (work, done) in queue.GetConsumingEnumerable())
        {
            try
            {
                work();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }
    }

    public void Dispose()
    {
        queue.CompleteAdding();
        thread.Join();
        queue.Dispose();
    }
}
