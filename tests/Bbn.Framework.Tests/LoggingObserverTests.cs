using Bbn.Core;
using Bbn.Core.Training;
using Bbn.Hosting.Training;
using FluentAssertions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Bbn.Framework.Tests;

public sealed class LoggingObserverTests
{
    [Fact]
    public void An_epoch_is_one_line_with_alpha_lr_loss_top1_groups_throughput_and_eta()
    {
        var logger = new FakeLogger();
        var observer = new LoggingObserver(logger, epochs: 20);

        observer.EpochCompleted(new EpochMetrics(3, 0.99, 0.0733, 0.5670, 0.4236, 0.5295, 0.0, null, 328.4, 113, 116), TimeSpan.FromMinutes(75));

        var record = logger.Collector.LatestRecord;
        record.Level.Should().Be(LogLevel.Information);
        record.Message.Should().Be("epoch 3/20 alpha 0.9900 lr 0.0733 loss 0.5670 top1 42.36 % many 52.95 % medium 0.00 % few - 328 img/s 113s ETA 1h15m");
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
