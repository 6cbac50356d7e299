using Bbn.Core.Runs;
using Bbn.Core.Training;
using Bbn.Hosting.Verbs;
using FluentAssertions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Bbn.Framework.Tests;

public sealed class LoggingObserverTests
{
    [Fact]
    public void An_epoch_is_one_line_with_the_method_s_figures_lr_loss_top1_groups_throughput_and_eta()
    {
        var logger = new FakeLogger();
        var observer = new LoggingObserver(logger, epochs: 20);

        observer.EpochCompleted(new EpochMetrics(3, 0.0733, 0.5670, 0.4236, 0.5295, 0.0, null, 328.4, 113, 116, Method: new Dictionary<string, double> { ["alpha"] = 0.99 }),
            TimeSpan.FromMinutes(75));
        observer.EpochCompleted(new EpochMetrics(4, 0.0733, 0.5670, 0.4236, 0.5295, 0.0, null, 328.4, 113, 116), TimeSpan.FromMinutes(75));

        logger.Collector.GetSnapshot().Select(r => r.Message).Should().Equal(
            "epoch 3/20 alpha 0.9900 lr 0.0733 loss 0.5670 top1 42.36 % many 52.95 % medium 0.00 % few - val - 328 img/s 113s ETA 1h15m",
            "epoch 4/20 lr 0.0733 loss 0.5670 top1 42.36 % many 52.95 % medium 0.00 % few - val - 328 img/s 113s ETA 1h15m");
        logger.Collector.LatestRecord.Level.Should().Be(LogLevel.Information);
    }

    [Fact]
    public void Progress_within_an_epoch_reports_step_loss_throughput_and_the_epoch_eta()
    {
        var logger = new FakeLogger();
        var observer = new LoggingObserver(logger, epochs: 20);

        observer.StepCompleted(new StepProgress(2, 40, 116, 0.8302, 340.2, TimeSpan.FromSeconds(57)));

        logger.Collector.LatestRecord.Message.Should().Be("epoch 2 step 40/116 loss 0.8302 340 img/s epoch ETA 0m57s");
    }

    [Fact]
    public void A_heap_release_names_the_epoch_the_setting_and_resident_memory_before_and_after()
    {
        var logger = new FakeLogger();
        var observer = new LoggingObserver(logger, epochs: 20);

        observer.HeapReleased(7, 1900L << 20, 300L << 20);

        logger.Collector.LatestRecord.Message.Should().Be(
            "Epoch 7: resident memory 1900 MiB had grown past Bbn:Training:MemoryGrowthTolerance; gave the native heap's free memory back (300 MiB resident)");
    }
}

public sealed class VerbServiceTests
{
    private sealed class Lifetime : Microsoft.Extensions.Hosting.IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public TaskCompletionSource Stopped { get; } = new();
        public void StopApplication() => Stopped.TrySetResult();
    }

    private sealed class FailingVerb(Lifetime lifetime, RunOutcome outcome, ILogger logger) : VerbService("predict", lifetime, outcome, logger)
    {
        protected override void Run(CancellationToken stoppingToken) => throw new FileNotFoundException("Bbn:Predict:Checkpoint = 'x': /x does not exist.");
    }

    [Fact]
    public async Task A_failing_verb_is_logged_once_under_its_own_name_at_debug_with_its_stack_trace()
    {
        var logger = new FakeLogger();
        var lifetime = new Lifetime();
        var outcome = new RunOutcome();
        using var verb = new FailingVerb(lifetime, outcome, logger);

        await verb.StartAsync(CancellationToken.None);
        await lifetime.Stopped.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var record = logger.Collector.GetSnapshot().Should().ContainSingle().Subject;
        record.Message.Should().Be("predict failed: Bbn:Predict:Checkpoint = 'x': /x does not exist.");
        record.Level.Should().Be(LogLevel.Debug, "the line a person reads goes to stderr once; the log has it only at Debug");
        record.Exception.Should().BeOfType<FileNotFoundException>();
        outcome.ExitCode.Should().Be(1);
    }
}
