using System.Diagnostics.Metrics;

namespace Bbn.Core.Training;

/// <summary>
/// The trainer's System.Diagnostics.Metrics instruments, on the meter "Bbn.Trainer", readable with
/// dotnet-counters (dotnet-counters monitor --counters Bbn.Trainer -n Bbn.Trainer) without code changes.
/// </summary>
public sealed class TrainerInstruments : IDisposable
{
    public const string MeterName = "Bbn.Trainer";
    private readonly Meter? ownedMeter;

    public TrainerInstruments(IMeterFactory? factory = null)
    {
        var meter = factory?.Create(MeterName) ?? (ownedMeter = new Meter(MeterName));
        Steps = meter.CreateCounter<long>("bbn.trainer.steps", "{step}", "Optimiser steps taken");
        Images = meter.CreateCounter<long>("bbn.trainer.images", "{image}", "Training images forwarded, both branches counted");
        Loss = meter.CreateHistogram<double>("bbn.trainer.loss", null, "Training loss per step");
        EpochDuration = meter.CreateHistogram<double>("bbn.trainer.epoch.duration", "s", "Wall time of an epoch, evaluation included");
    }

    public Counter<long> Steps { get; }
    public Counter<long> Images { get; }
    public Histogram<double> Loss { get; }
    public Histogram<double> EpochDuration { get; }

    public void Dispose() => ownedMeter?.Dispose();
}
