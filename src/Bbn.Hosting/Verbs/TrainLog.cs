using Microsoft.Extensions.Logging;
using Bbn.Core.Runs;

namespace Bbn.Hosting.Verbs;

/// <summary>The train verb's log lines.</summary>
internal static partial class TrainLog
{
    [LoggerMessage(1, LogLevel.Information, "Run directory {RunDirectory}; {Method} with {Backbone} on {Dataset} (imbalance N_max/N_min {ImbalanceRatio:0.#}): {TrainImages} training images in {Classes} classes (counts {ClassCounts}), {TestImages} test images, device {Device}")]
    public static partial void RunStarting(ILogger logger, string runDirectory, string method, string backbone, string dataset, double imbalanceRatio, int trainImages, int classes, string classCounts, int testImages, string device);

    [LoggerMessage(2, LogLevel.Information, "Resuming {RunDirectory} at epoch {Epoch}, step {Step} of stage {Stage}")]
    public static partial void Resuming(ILogger logger, string runDirectory, int stage, int epoch, int step);

    [LoggerMessage(3, LogLevel.Information, "epoch {Epoch} step {Step}/{Steps} loss {Loss:F4} {ImagesPerSecond:F0} img/s epoch ETA {EpochEta}")]
    public static partial void Progress(ILogger logger, int epoch, int step, int steps, double loss, double imagesPerSecond, string epochEta);

    /// <remarks><paramref name="method"/>: what the method reports of its own, each as " name value"), or empty.</remarks>
    [LoggerMessage(4, LogLevel.Information, "epoch {Epoch}/{Epochs}{Method} lr {Lr:G4} loss {Loss:F4} top1 {Top1} many {Many} medium {Medium} few {Few} val {Validation} {ImagesPerSecond:F0} img/s {Seconds:F0}s ETA {Eta}")]
    public static partial void Epoch(ILogger logger, int epoch, int epochs, string method, double lr, double loss, string top1, string many, string medium, string few, string validation, double imagesPerSecond, double seconds, string eta);

    [LoggerMessage(5, LogLevel.Information, "Finished: top1 {Top1:P2}; summary in {SummaryPath}")]
    public static partial void Finished(ILogger logger, double top1, string summaryPath);

    [LoggerMessage(6, LogLevel.Warning, "Stopped at epoch {Epoch}, step {Step} of stage {Stage}; checkpoint {Checkpoint}. Continue with: --Bbn:Training:Resume=true --Bbn:Training:RunName={RunName}")]
    public static partial void Stopped(ILogger logger, int stage, int epoch, int step, string checkpoint, string runName);

    [LoggerMessage(12, LogLevel.Information, "TensorBoard events in {Folder} (tensorboard --logdir {Folder})")]
    public static partial void TensorBoard(ILogger logger, string folder);


    [LoggerMessage(14, LogLevel.Warning, "{Count} undecodable images were skipped (summary.json: skipped_images)")]
    public static partial void ImagesSkipped(ILogger logger, long count);

    [LoggerMessage(15, LogLevel.Information, "Stage {Stage}/{Stages} ({Name}); step: {BranchExecution}")]
    public static partial void StageStarted(ILogger logger, int stage, int stages, string name, string branchExecution);

    [LoggerMessage(17, LogLevel.Information, "Method {Method}: {Stages}")]
    public static partial void Stages(ILogger logger, string method, string stages);

    [LoggerMessage(36, LogLevel.Information, "Step memory: about {Needed:F1} GiB of {Available:F1} GiB available")]
    public static partial void StepMemory(ILogger logger, double needed, double available);

    [LoggerMessage(35, LogLevel.Information, "Loading {Dataset} and building the network")]
    public static partial void Loading(ILogger logger, string dataset);

    [LoggerMessage(34, LogLevel.Warning, "Took over the lock of {RunDirectory} left by process {ProcessId} on {Host}, started {Started:u}, which no longer runs")]
    public static partial void TookOverLock(ILogger logger, string runDirectory, int processId, string host, DateTimeOffset started);

    [LoggerMessage(19, LogLevel.Warning, "{Damage} Resuming from {Checkpoint}.")]
    public static partial void FellBack(ILogger logger, string damage, string checkpoint);

    [LoggerMessage(18, LogLevel.Warning, "{Message}")]
    public static partial void NotLearning(ILogger logger, string message);

    [LoggerMessage(16, LogLevel.Information, "Epoch {Epoch}: resident memory {BeforeMib} MiB had grown past Bbn:Training:MemoryGrowthTolerance; gave the native heap's free memory back ({AfterMib} MiB resident)")]
    public static partial void HeapReleased(ILogger logger, int epoch, long beforeMib, long afterMib);

    [LoggerMessage(30, LogLevel.Information, "Validation split: {Rule}")]
    public static partial void ValidationSplit(ILogger logger, string rule);

    [LoggerMessage(31, LogLevel.Warning, "No validation split (Bbn:Validation:Split = none): nothing selects an epoch, and summary.json gives the last epoch only")]
    public static partial void NoValidationSplit(ILogger logger);

    [LoggerMessage(32, LogLevel.Information, "Selected epoch {Epoch} by validation {Metric} {Score:P2} on {Images} images: test top-1 {Top1:P2}; its weights: {Checkpoint}")]
    public static partial void Selected(ILogger logger, int epoch, string metric, double score, long images, double top1, string checkpoint);

    [LoggerMessage(51, LogLevel.Information, "Epoch {Highest} scored highest ({Score:P2}, standard error {Error:P2}); epoch {Epoch}, the latest within one standard error of it, is kept: the split cannot tell them apart (Bbn:Validation:SelectRule = highest keeps the highest)")]
    public static partial void WithinOneStandardError(ILogger logger, int highest, double score, double error, int epoch);

    [LoggerMessage(33, LogLevel.Information, "Tuned on the validation split: {Settings} (validation {Before:P2} -> {After:P2}); test top-1 {TestBefore:P2} -> {TestAfter:P2}, ECE {EceBefore:F4} -> {EceAfter:F4}; checkpoint.bbn records them for evaluate and predict (Bbn:PostHoc:Apply)")]
    public static partial void Tuned(ILogger logger, string settings, double before, double after, double testBefore, double testAfter, double eceBefore, double eceAfter);

    [LoggerMessage(37, LogLevel.Information, "Data-parallel over {Ranks} ranks ({Group}): a step's global batch of {Batch} is {PerRank} images a rank; gradients averaged by all-reduce; rank 0 writes the run")]
    public static partial void DataParallel(ILogger logger, string group, int ranks, int batch, int perRank);

    [LoggerMessage(38, LogLevel.Information, "The weights of all {Ranks} ranks were compared after {Checks} steps (Bbn:Distributed:CheckWeightsEvery): identical every time")]
    public static partial void WeightsAgreed(ILogger logger, int ranks, int checks);

    [LoggerMessage(39, LogLevel.Information, "All-reduce per step: {Megabytes:F2} MB of gradients in {Buckets} bucket(s) over {Ranks} ranks (Bbn:Distributed:BucketMegabytes), {Milliseconds:F1} ms a step on average, waiting for the slowest rank included")]
    public static partial void AllReduced(ILogger logger, double megabytes, int buckets, int ranks, double milliseconds);

    [LoggerMessage(42, LogLevel.Information, "Estimated training time: about {Duration} for the {Steps} steps to come, from the first {Measured} (evaluations and checkpoints not included)")]
    public static partial void Estimated(ILogger logger, string duration, int steps, int measured);

    [LoggerMessage(43, LogLevel.Information, "Native allocator: {Allocator} (BBN_ALLOCATOR={Choice}; Debian's libtcmalloc-minimal4, when installed, is preloaded by the host)")]
    public static partial void Allocator(ILogger logger, string allocator, string choice);

    [LoggerMessage(45, LogLevel.Information, "Validation split: {Decision}")]
    public static partial void Refit(ILogger logger, string decision);

    [LoggerMessage(46, LogLevel.Information, "Refit: training again on all {Images} training images, keeping epoch {Epoch} as the selected one and applying the knobs tuned on the split ({Knobs})")]
    public static partial void RefitStarting(ILogger logger, int images, int epoch, string knobs);

    [LoggerMessage(47, LogLevel.Information, "Refit done on {Images} images: test top-1 {Top1:P2} (the selection run, trained without its validation images: {SelectionTop1:P2}); its figures are the run's, the selection run's are in selection/")]
    public static partial void Refitted(ILogger logger, double selectionTop1, double top1, int images);

    [LoggerMessage(48, LogLevel.Information, "Pretrained: {Tensors} tensors from {File} (the trunk, and every branch's block from the file's last block), {Ignored} of its classifier left for the data set's fresh one{Stem}{Partial}")]
    public static partial void Pretrained(ILogger logger, string file, int tensors, int ignored, string stem, string partial);

    [LoggerMessage(49, LogLevel.Warning, "The selection and the tuning rested on {Images} validation images (one image moves the {Metric} score by up to {Points:F1} points, more than 1): the selected epoch and the tuned knobs may not carry over to new images; the last epoch's figures do not depend on them")]
    private static partial void FewValidationImages(ILogger logger, long images, string metric, double points);

    public static void FewValidationImages(ILogger logger, SelectedEpoch selected) => FewValidationImages(logger, selected.ValidationImages, selected.Metric, 100 * selected.ScoreStep);

    [LoggerMessage(44, LogLevel.Debug, "libtorch's own log: {Level} and above ({Source}); NNPACK available: {Nnpack} (probed once, quietly; without it libtorch uses its other convolution kernels)")]
    public static partial void NativeLog(ILogger logger, string level, string source, string nnpack);
}
