using System.Text.Json;
using Bbn.Core.Evaluation;
using Bbn.Core.Runs;

namespace Bbn.Core.Training.Hooks;

/// <summary>A hook that yields the run's selected epoch for summary.json.</summary>
public interface ISelectionRecord
{
    SelectedEpoch? Best { get; }
}

/// <summary>A hook that yields the run's post-hoc tuning for summary.json.</summary>
public interface IPostHocRecord
{
    PostHocTuning? Tuning { get; }
}

/// <summary>
/// The selection of a refit: keeps the weights of the epoch the selection run chose (by its validation split) in best.bbn, with this
/// run's test figures at that epoch. Nothing is chosen here: the refit has no held-out images, and the test images choose nothing.
/// </summary>
public sealed class ChosenEpochHook(RunDirectory run, SelectedEpoch chosen, SessionCheckpoints checkpoints, SessionEvaluation evaluation) : ITrainingHook, IStatefulHook, ISelectionRecord
{
    public SelectedEpoch? Best { get; private set; }

    public string StateKey => "chosen-epoch";

    public JsonElement SaveState() => JsonSerializer.SerializeToElement(Best, RunJson.Options);

    public void LoadState(JsonElement state) => Best = state.Deserialize<SelectedEpoch?>(RunJson.Options);

    public void EpochEnding(EpochEnd epoch)
    {
        // The chosen epoch is evaluated even between Bbn:Training:EvaluateEvery's epochs (this hook runs after the evaluation hook).
        if (epoch.RunEpoch == chosen.Epoch && epoch.Report is null) epoch.Report = evaluation.Test();
    }

    public void EpochCompleted(EpochEnd epoch)
    {
        if (epoch.RunEpoch != chosen.Epoch) return;
        checkpoints.Save(run.BestCheckpointPath, epoch.Position!, completed: epoch.Final);
        var test = epoch.Report!;
        Best = chosen with { Top1 = test.Top1, Many = test.Many, Medium = test.Medium, Few = test.Few, Checkpoint = run.BestCheckpointPath };
        run.WriteSelection(Best);
    }
}

/// <summary>
/// The post-hoc knobs of a refit: the selection run tuned them on its validation split; after the last epoch this applies them
/// (so checkpoint.bbn records them for evaluate and predict) and records the test figures without and with them.
/// </summary>
public sealed class AppliedPostHocHook(PostHocTuning? tuned, SessionEvaluation evaluation) : ITrainingHook, IPostHocRecord
{
    public PostHocTuning? Tuning { get; private set; }

    public void EpochCompleted(EpochEnd epoch)
    {
        if (!epoch.Final || tuned is null || epoch.Report is null) return;
        evaluation.Tuned = tuned.Settings;
        var after = tuned.Settings.IsIdentity ? epoch.Report : evaluation.Test(tuned.Settings);
        Tuning = tuned with { TestBefore = PostHocTest.Of(epoch.Report), TestAfter = PostHocTest.Of(after) };
    }
}
