using System.Text.Json;
using Bbn.Core.Data;
using Bbn.Core.Training.Hooks;
using Bbn.Core.Model;

namespace Bbn.Core.Training;

/// <summary>
/// A session's checkpoints: the header that names its composition, and saving and restoring the network, the active
/// stage's optimiser, the moving average and the tuned inference knobs. <c>beginStage</c> makes a stage the active one
/// (its optimiser fresh) before a checkpoint's optimiser state is loaded into it.
/// </summary>
public sealed class SessionCheckpoints(TrainingSetup setup, TrainingOptions options, RunIdentity identity, IImageSet train, BranchNetwork network,
    StageController stages, OptimizerStep optimization, SessionEvaluation evaluation, WeightAverage? average, Action<int, bool> beginStage)
{
    private IStatefulHook[] tracked = [];
    private IReadOnlyDictionary<string, JsonElement>? restoredStates;

    public CheckpointHeader Header(TrainingPosition position, bool completed) =>
        setup.Header(identity, options, train, stages.All, position, completed) with
        {
            Tuned = evaluation.Tuned,
            HookStates = tracked.Length == 0 ? null : tracked.ToDictionary(h => h.StateKey, h => h.SaveState()),
        };

    /// <summary>The hooks whose state the checkpoints keep; after <see cref="Restore"/>, each gets the state the checkpoint holds for it.</summary>
    public void Track(IEnumerable<IStatefulHook> hooks)
    {
        tracked = hooks.ToArray();
        var duplicate = tracked.GroupBy(h => h.StateKey).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"Two hooks keep their state under '{duplicate.Key}' in the checkpoint; give each a key of its own.");
        foreach (var hook in tracked)
            if (restoredStates?.TryGetValue(hook.StateKey, out var state) == true) hook.LoadState(state);
    }

    public void Save(string path, TrainingPosition position, bool completed) =>
        Checkpoint.Save(path, Header(position, completed), network, optimization.Optimizer, average);

    /// <summary>Loads a checkpoint into the network, the stage's optimiser and the average; returns where to continue.</summary>
    public TrainingPosition Restore(string checkpointPath)
    {
        var expected = Header(TrainingPosition.Start, false);
        var found = Checkpoint.ReadHeader(checkpointPath);
        if (found.Method != expected.Method || found.Backbone != expected.Backbone || found.ClassCount != expected.ClassCount || found.Dataset != expected.Dataset
            || found.Classifier != expected.Classifier)
            throw new InvalidDataException(
                $"Checkpoint {checkpointPath} was written by a {found.Method} run of {found.Backbone} with a {found.Classifier} classifier on {found.Dataset} ({found.ClassCount} classes); " +
                $"the configuration asks for {expected.Method} with {expected.Backbone} with a {expected.Classifier} classifier on {expected.Dataset} ({expected.ClassCount} classes). " +
                "Use the configuration of that run (Bbn:Method, Bbn:Backbone, Bbn:Training:Classifier, Bbn:Dataset).");
        if (found.Position.Stage > stages.Count)
            throw new InvalidDataException($"Checkpoint {checkpointPath} stands in stage {found.Position.Stage}, but {expected.Method} with this configuration has {stages.Count} stage(s).");
        restoredStates = found.HookStates;
        return Checkpoint.Load(checkpointPath, network, header =>
        {
            var position = header.Position;
            int stage = Math.Min(position.Stage, stages.Count);
            beginStage(stage, position.AtStageStart);
            // At the start of a later stage the saved optimiser state is the previous stage's.
            return position.AtStageStart && stage > 1 ? null : optimization.Optimizer;
        }, average).Position;
    }
}
