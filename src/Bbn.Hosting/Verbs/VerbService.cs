using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bbn.Hosting.Verbs;

/// <summary>
/// A verb that runs once on its own thread and then stops the host, leaving its exit code in
/// <see cref="RunOutcome"/>: 0 when it returns, 1 with the cause when it throws. All of a verb's
/// multi-threaded tensor work (loading, training, evaluation) stays on that one thread: libgomp makes
/// idle OpenMP workers sleep at once when the teams of all threads outnumber the CPUs, which slows
/// every parallel region (docs/performance.md).
/// </summary>
public abstract class VerbService(string verb, IHostApplicationLifetime lifetime, RunOutcome outcome, ILogger logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => RunToEnd(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>The verb's work; honours <paramref name="stoppingToken"/> where it can stop cleanly.</summary>
    protected abstract void Run(CancellationToken stoppingToken);

    private void RunToEnd(CancellationToken stoppingToken)
    {
        try
        {
            Run(stoppingToken);
            outcome.Succeed();
        }
        catch (Exception e)
        {
            VerbLog.Failed(logger, verb, e.Message, e);
            outcome.Fail(e);
        }
        finally
        {
            lifetime.StopApplication();
        }
    }
}
