using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bbn.Hosting.Training;

/// <summary>
/// A verb that runs once on its own thread and then stops the host, leaving its exit code in
/// <see cref="RunOutcome"/>: 0 when it returns, 1 with the cause when it throws.
/// </summary>
public abstract class VerbService(IHostApplicationLifetime lifetime, RunOutcome outcome, ILogger logger) : BackgroundService
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
            TrainerLog.Failed(logger, e.Message, e);
            outcome.Fail(e);
        }
        finally
        {
            lifetime.StopApplication();
        }
    }
}
