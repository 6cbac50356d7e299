using Bbn.Core.Runs;
using System.Text.Json;
using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Training;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>The file datasets (image-folder, inaturalist): listing, bad input, and training through the host.</summary>
[Collection(TorchCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class FileDatasetTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-files-").FullName;

    private static IDatasetSource Source(string name, Dictionary<string, string?> settings) => BuiltInComponents.Create<IDatasetSource>(name, settings);

    private static IDatasetSource INat(string root) => Source("inaturalist", new() { ["Root"] = root, ["Train"] = "train.json", ["Test"] = "val.json" });

    private string[] Settings(string runName, params string[] extra) =>
    [
        "train",
        $"--Bbn:Training:OutputDirectory={Path.Combine(root, "runs")}",
        $"--Bbn:Training:RunName={runName}",
        "--Bbn:Training:Epochs=1",
        "--Bbn:Training:BatchSize=4",
        "--Bbn:Training:MaxStepsPerEpoch=2",
        "--Bbn:Training:WarmupEpochs=1",
        "--Bbn:Validation:Split=none", // these tests pin what the datasets load; the validation split has its own
        "--Bbn:Dataset:Recipe=imagenet", "--Bbn:Dataset:Size=32", "--Bbn:Dataset:ResizeTo=36",
        .. extra,
    ];

    [Fact]
    public void Image_folders_list_classes_in_order_with_ids_relative_to_the_split()
    {
        string data = ImageFiles.WriteFolders(Path.Combine(root, "folders"), [3, 2], testPerClass: 1);

        var train = Source("image-folder", new() { ["Root"] = data }).ListFiles(DatasetSplit.Train)!;

        train.ClassNames.Should().Equal("class-a", "class-b");
        train.Files.Select(f => (f.Id, f.Label)).Should().Equal(("class-a/000.jpg", 0), ("class-a/001.png", 0), ("class-a/002.jpg", 0), ("class-b/000.jpg", 1), ("class-b/001.png", 1));
        train.Files.Should().OnlyContain(f => File.Exists(f.Path));
        train.Recipe.Kind.Should().Be(ImageRecipeKind.FollowImages, "no Bbn:Dataset:Recipe: the host chooses from the images");
        train.Normalization.Mean.Should().Equal(0.485f, 0.456f, 0.406f);
    }

    [Fact]
    public async Task Image_folders_train_a_few_steps_and_write_a_manifest_that_reproduces_the_subset()
    {
        string data = ImageFiles.WriteFolders(Path.Combine(root, "folders"), [8, 5, 3], testPerClass: 2);

        var (code, _, error) = await AppRunner.Run(Settings("folder", "--Bbn:Dataset:Name=image-folder", $"--Bbn:Dataset:Root={data}", "--Bbn:Dataset:Recipe=cifar"));

        error.Should().BeEmpty();
        code.Should().Be(0);
        var run = new RunDirectory(Path.Combine(root, "runs", "folder"));
        run.ReadMetrics().Single().Should().Match<EpochMetrics>(m => m.Steps == 2 && double.IsFinite(m.TrainLoss));
        using var summary = JsonDocument.Parse(File.ReadAllText(run.SummaryPath));
        summary.RootElement.GetProperty("class_counts").EnumerateArray().Select(e => e.GetInt32()).Should().Equal([8, 5, 3], "file datasets are used as they are");
        summary.RootElement.GetProperty("test_images").GetInt64().Should().Be(6);
        summary.RootElement.GetProperty("skipped_images").GetInt64().Should().Be(0);
        var manifest = SubsetManifest.Read(run.ManifestPath);
        manifest.ClassNames.Should().Equal("class-a", "class-b", "class-c");
        manifest.Images[2].Should().Equal("class-c/000.jpg", "class-c/001.png", "class-c/002.jpg");
    }

    [Fact]
    public async Task An_image_folder_validates_on_its_val_folder_or_else_on_a_stratified_fraction_of_train()
    {
        string data = ImageFiles.WriteFolders(Path.Combine(root, "folders"), [8, 5, 3], testPerClass: 2);
        string[] common = ["--Bbn:Dataset:Name=image-folder", $"--Bbn:Dataset:Root={data}", "--Bbn:Dataset:Recipe=cifar", "--Bbn:Validation:Split=auto", "--Bbn:Validation:Fraction=0.25",
            "--Bbn:Validation:Refit=never"];

        var (code, _, error) = await AppRunner.Run(Settings("stratified", common));

        error.Should().BeEmpty();
        code.Should().Be(0);
        var stratified = new RunDirectory(Path.Combine(root, "runs", "stratified"));
        var manifest = SubsetManifest.Read(stratified.ManifestPath);
        manifest.ValidationSource.Should().Be(ValidationDraw.StratifiedSource);
        manifest.Validation!.Select(c => c.Count).Should().Equal(new[] { 2, 1, 1 }, "a quarter of 8, 5 and 3, at least one each");
        manifest.Images.Select(c => c.Count).Should().Equal(6, 4, 2);
        manifest.Images.SelectMany(c => c).Should().NotIntersectWith(manifest.Validation!.SelectMany(c => c), "nothing validated on is trained on");
        using (var summary = JsonDocument.Parse(File.ReadAllText(stratified.SummaryPath)))
        {
            summary.RootElement.GetProperty("selection").GetProperty("epoch").GetInt32().Should().Be(1);
            summary.RootElement.GetProperty("selection").GetProperty("validation_images").GetInt64().Should().Be(4);
        }

        // A val/ folder is the dataset's own validation split: training keeps every image.
        CopyFolder(Path.Combine(data, "test"), Path.Combine(data, "val"));
        (code, _, error) = await AppRunner.Run(Settings("own", common));

        error.Should().BeEmpty();
        code.Should().Be(0);
        var own = SubsetManifest.Read(new RunDirectory(Path.Combine(root, "runs", "own")).ManifestPath);
        own.ValidationSource.Should().Be(ValidationDraw.DatasetSource);
        own.Images.Select(c => c.Count).Should().Equal(8, 5, 3);
        own.Validation!.Select(c => c.Count).Should().Equal(2, 2, 2);
    }

    [Fact]
    public async Task A_split_out_of_a_small_folder_chooses_the_epoch_and_the_knobs_and_the_refit_on_every_image_keeps_them()
    {
        string data = ImageFiles.WriteFolders(Path.Combine(root, "folders"), [8, 5, 3], testPerClass: 2);

        var (code, _, error) = await AppRunner.Run(Settings("refit", "--Bbn:Dataset:Name=image-folder", $"--Bbn:Dataset:Root={data}", "--Bbn:Dataset:Recipe=cifar",
            "--Bbn:Validation:Split=auto", "--Bbn:Validation:Fraction=0.25", "--Bbn:Training:Epochs=3"));

        error.Should().BeEmpty();
        code.Should().Be(0);
        var run = new RunDirectory(Path.Combine(root, "runs", "refit"));
        var selectionRun = run.SelectionRun;
        var split = SubsetManifest.Read(selectionRun.ManifestPath);
        split.ValidationSource.Should().Be(ValidationDraw.StratifiedSource);
        split.Images.Select(c => c.Count).Should().Equal(6, 4, 2);
        var refit = SubsetManifest.Read(run.ManifestPath);
        refit.Images.Select(c => c.Count).Should().Equal([8, 5, 3], "the refit trains on the validation images too");
        refit.Validation.Should().BeNull();
        run.ReadMetrics().Should().HaveCount(3).And.OnlyContain(m => m.ValidationTop1 == null, "the refit has nothing to choose on");

        using var chosen = JsonDocument.Parse(File.ReadAllText(selectionRun.SummaryPath));
        using var final = JsonDocument.Parse(File.ReadAllText(run.SummaryPath));
        var record = final.RootElement.GetProperty("refit");
        record.GetProperty("reason").GetString().Should().StartWith("refit: the validation split took 4 of the 16 training images (25.0 %)");
        record.GetProperty("train_images").GetInt32().Should().Be(16);
        record.GetProperty("held_out_images").GetInt32().Should().Be(4);
        record.GetProperty("selection_run").GetString().Should().Be(RunDirectory.SelectionRunFolder);
        record.GetProperty("selection_run_top1").GetDouble().Should().Be(chosen.RootElement.GetProperty("top1").GetDouble());
        int epoch = chosen.RootElement.GetProperty("selection").GetProperty("epoch").GetInt32();
        final.RootElement.GetProperty("selection").GetProperty("epoch").GetInt32().Should().Be(epoch, "the epoch is the one the validation split chose, not one the test set chose");
        final.RootElement.GetProperty("selection").GetProperty("validation_images").GetInt64().Should().Be(4);
        final.RootElement.GetProperty("post_hoc").GetProperty("settings").GetRawText()
            .Should().Be(chosen.RootElement.GetProperty("post_hoc").GetProperty("settings").GetRawText(), "the knobs are the ones tuned on the split");
        File.Exists(run.BestCheckpointPath).Should().BeTrue();
        Checkpoint.ReadHeader(run.BestCheckpointPath).Position.Epoch.Should().Be(epoch + 1, "best.bbn holds the weights after the chosen epoch");

        // The refit is the run without a split, step for step: what it trains on and how is nothing else.
        (code, _, error) = await AppRunner.Run(Settings("no-split", "--Bbn:Dataset:Name=image-folder", $"--Bbn:Dataset:Root={data}", "--Bbn:Dataset:Recipe=cifar",
            "--Bbn:Validation:Split=none", "--Bbn:Training:Epochs=3"));
        code.Should().Be(0, error);
        var plain = new RunDirectory(Path.Combine(root, "runs", "no-split"));
        run.ReadMetrics().Select(m => m.TrainLoss).Should().Equal(plain.ReadMetrics().Select(m => m.TrainLoss));
        using var plainSummary = JsonDocument.Parse(File.ReadAllText(plain.SummaryPath));
        final.RootElement.GetProperty("top1").GetDouble().Should().Be(plainSummary.RootElement.GetProperty("top1").GetDouble());
    }

    [Fact]
    public async Task A_refit_run_stopped_in_either_phase_and_resumed_ends_as_an_uninterrupted_one()
    {
        string data = ImageFiles.WriteFolders(Path.Combine(root, "folders"), [8, 5, 3], testPerClass: 2);
        string[] Args(string name, params string[] extra) => Settings(name, ["--Bbn:Dataset:Name=image-folder", $"--Bbn:Dataset:Root={data}", "--Bbn:Dataset:Recipe=cifar",
            "--Bbn:Validation:Split=auto", "--Bbn:Validation:Fraction=0.25", "--Bbn:Training:Epochs=4", .. extra]);
        var (code, _, error) = await AppRunner.Run(Args("straight"));
        code.Should().Be(0, error);

        // Stopped once in the selection run, once in the refit (wherever the stop lands, the resumed run must end the same).
        var stopped = new RunDirectory(Path.Combine(root, "runs", "stopped"));
        foreach (var (phase, resume) in new[] { (stopped.SelectionRun, false), (stopped, true) })
        {
            using var stop = new CancellationTokenSource();
            var watcher = Task.Run(async () =>
            {
                while (!File.Exists(phase.MetricsPath) && !File.Exists(stopped.SummaryPath)) await Task.Delay(20);
                await stop.CancelAsync();
            });
            (code, _, error) = await AppRunner.Run(stop.Token, ["train", .. Args("stopped", resume ? ["--Bbn:Training:Resume=true"] : [])[1..]]);
            await watcher;
            code.Should().Be(0, error);
        }
        (code, _, error) = await AppRunner.Run(Args("stopped", "--Bbn:Training:Resume=true"));
        code.Should().Be(0, error);

        var straight = new RunDirectory(Path.Combine(root, "runs", "straight"));
        stopped.ReadMetrics().Select(m => m.Epoch).Should().Equal(1, 2, 3, 4);
        stopped.ReadMetrics().Select(m => m.TrainLoss).Should().Equal(straight.ReadMetrics().Select(m => m.TrainLoss), (a, b) => Math.Abs(a - b) < 1e-4);
        stopped.SelectionRun.ReadMetrics().Select(m => m.TrainLoss).Should().Equal(straight.SelectionRun.ReadMetrics().Select(m => m.TrainLoss), (a, b) => Math.Abs(a - b) < 1e-4);
        using var a = JsonDocument.Parse(File.ReadAllText(straight.SummaryPath));
        using var b = JsonDocument.Parse(File.ReadAllText(stopped.SummaryPath));
        b.RootElement.GetProperty("selection").GetProperty("epoch").GetInt32().Should().Be(a.RootElement.GetProperty("selection").GetProperty("epoch").GetInt32());
        b.RootElement.GetProperty("refit").GetProperty("train_images").GetInt32().Should().Be(16);
    }

    [Fact]
    public async Task An_inaturalist_validation_file_that_is_the_test_file_is_refused_at_start()
    {
        string data = ImageFiles.WriteINaturalist(Path.Combine(root, "inat"), [6, 4, 2], valPerClass: 2);

        var (code, _, error) = await AppRunner.Run(Settings("inat-v", "--Bbn:Dataset:Name=inaturalist", $"--Bbn:Dataset:Root={data}",
            "--Bbn:Dataset:Train=train.json", "--Bbn:Dataset:Test=val.json", "--Bbn:Dataset:Validation=val.json", "--Bbn:Backbone:Name=resnet10"));

        code.Should().Be(Bbn.Hosting.BbnApplication.ExitBadInput);
        error.Should().Contain("Bbn:Dataset:Validation").And.Contain("nothing is chosen on the test set");
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [Fact]
    public async Task Inaturalist_annotations_train_a_few_steps_through_the_host()
    {
        string data = ImageFiles.WriteINaturalist(Path.Combine(root, "inat"), [6, 4, 2], valPerClass: 2);

        var (code, _, error) = await AppRunner.Run(Settings("inat", "--Bbn:Dataset:Name=inaturalist", $"--Bbn:Dataset:Root={data}",
            "--Bbn:Dataset:Train=train.json", "--Bbn:Dataset:Test=val.json", "--Bbn:Backbone:Name=resnet10", "--Bbn:Dataset:Workers=2", "--Bbn:Dataset:Prefetch=2"));

        error.Should().BeEmpty();
        code.Should().Be(0);
        var run = new RunDirectory(Path.Combine(root, "runs", "inat"));
        run.ReadMetrics().Single().Steps.Should().Be(2);
        using var summary = JsonDocument.Parse(File.ReadAllText(run.SummaryPath));
        summary.RootElement.GetProperty("class_counts").EnumerateArray().Select(e => e.GetInt32()).Should().Equal(6, 4, 2);
        summary.RootElement.GetProperty("test_images").GetInt64().Should().Be(6);
        SubsetManifest.Read(run.ManifestPath).Images[1].Should().HaveCount(4).And.Contain("images/1/train-3.jpg");

        // The checkpoint records the recipe, so predict gives new photographs the same test view (resize 36, centre 32).
        Bbn.Core.Training.Checkpoint.ReadHeader(run.CheckpointPath).Data!.Recipe.Should().Be(ImageRecipe.ImageNet(32, 36));
        var (predictCode, output, predictError) = await AppRunner.Run("predict", run.Path, Path.Combine(data, "images"), "--json");
        predictError.Should().BeEmpty();
        predictCode.Should().Be(0);
        using var predictions = JsonDocument.Parse(output);
        predictions.RootElement.GetArrayLength().Should().Be(18, "every image under images/ (12 training, 6 validation)");
        predictions.RootElement.EnumerateArray().Should().OnlyContain(r => r.GetProperty("predictions").GetArrayLength() == 3);
    }

    [Fact]
    public void A_missing_annotation_file_is_named()
    {
        var act = () => INat(Path.Combine(root, "nowhere")).ListFiles(DatasetSplit.Train);

        act.Should().Throw<DatasetNotFoundException>().WithMessage($"iNaturalist annotation file {Path.Combine(root, "nowhere", "train.json")} was not found*Bbn:Dataset:Train*");
    }

    [Fact]
    public void Malformed_json_is_named_with_the_file()
    {
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "train.json"), "{\"annotations\": [ {\"fpath\": \"a.jpg\", ");

        var act = () => INat(root).ListFiles(DatasetSplit.Train);

        act.Should().Throw<InvalidDataException>().WithMessage($"{Path.Combine(root, "train.json")} is not valid JSON*");
    }

    [Fact]
    public void A_category_outside_num_classes_names_the_first_bad_entry()
    {
        ImageFiles.WriteJson(Path.Combine(root, "train.json"), new
        {
            annotations = new object[] { new { fpath = "a.jpg", category_id = 0 }, new { fpath = "b.jpg", category_id = 3 } },
            num_classes = 3,
        });

        var act = () => INat(root).ListFiles(DatasetSplit.Train);

        act.Should().Throw<InvalidDataException>().WithMessage("*train.json: annotations[1] (b.jpg) has category_id 3, outside 0..2 (num_classes = 3).");
    }

    [Fact]
    public void An_entry_without_fpath_is_named()
    {
        ImageFiles.WriteJson(Path.Combine(root, "train.json"), new { annotations = new object[] { new { category_id = 0 } }, num_classes = 1 });

        var act = () => INat(root).ListFiles(DatasetSplit.Train);

        act.Should().Throw<InvalidDataException>().WithMessage("*train.json: annotations[0] needs a string \"fpath\" and an integer \"category_id\"*");
    }

    [Theory]
    [InlineData("../outside.jpg")]
    [InlineData("/etc/passwd")]
    public void A_path_escaping_the_root_is_refused(string fpath)
    {
        ImageFiles.WriteJson(Path.Combine(root, "train.json"), new { annotations = new object[] { new { fpath = "ok.jpg", category_id = 0 }, new { fpath, category_id = 0 } }, num_classes = 1 });

        var act = () => INat(root).ListFiles(DatasetSplit.Train);

        act.Should().Throw<InvalidDataException>().WithMessage($"*train.json: annotations[1]: fpath '{fpath}' escapes the dataset root {root}*");
    }

    [Fact]
    public void A_missing_split_folder_is_named()
    {
        var act = () => Source("image-folder", new() { ["Root"] = root }).ListFiles(DatasetSplit.Train);

        act.Should().Throw<DatasetNotFoundException>().WithMessage($"Image folder {Path.Combine(root, "train")} was not found*<Root>/train/<class>/<image>*Bbn:Dataset:Root*");
    }

    [Fact]
    public void An_empty_class_folder_is_named()
    {
        string data = ImageFiles.WriteFolders(Path.Combine(root, "folders"), [2, 2], testPerClass: 1);
        string empty = Path.Combine(data, "train", "class-c");
        Directory.CreateDirectory(empty);
        File.WriteAllText(Path.Combine(empty, "notes.txt"), "not an image");

        var act = () => Source("image-folder", new() { ["Root"] = data }).ListFiles(DatasetSplit.Train);

        act.Should().Throw<InvalidDataException>().WithMessage($"Class folder {empty} holds no images*");
    }

    [Fact]
    public void A_test_class_unknown_to_the_training_split_is_named()
    {
        string data = ImageFiles.WriteFolders(Path.Combine(root, "folders"), [2, 2], testPerClass: 1);
        ImageFiles.Write(Path.Combine(data, "test", "zebra", "0.jpg"), 0);

        var act = () => Source("image-folder", new() { ["Root"] = data }).ListFiles(DatasetSplit.Test);

        act.Should().Throw<InvalidDataException>().WithMessage($"{Path.Combine(data, "test", "zebra")} is a class the training split*");
    }

    [Fact]
    public void A_bad_recipe_is_a_configuration_error()
    {
        var act = () => Source("image-folder", new() { ["Root"] = root, ["Recipe"] = "fancy" });

        act.Should().Throw<ComponentConfigurationException>().WithMessage("Setting Test:Component:Recipe = 'fancy' is invalid: expected auto*imagenet*or cifar*");
    }

    [Fact]
    public async Task Without_a_recipe_small_images_keep_their_size_under_the_cifar_recipe_and_the_checkpoint_records_it()
    {
        string data = ImageFiles.WriteFolders(Path.Combine(root, "small"), [4, 3], testPerClass: 1); // 48x40 images

        var (code, _, error) = await AppRunner.Run("train", $"--Bbn:Training:OutputDirectory={Path.Combine(root, "runs")}", "--Bbn:Training:RunName=auto",
            "--Bbn:Training:Epochs=1", "--Bbn:Training:BatchSize=2", "--Bbn:Training:MaxStepsPerEpoch=1", "--Bbn:Training:WarmupEpochs=1", "--Bbn:Validation:Split=none",
            "--Bbn:Dataset:Name=image-folder", $"--Bbn:Dataset:Root={data}");

        code.Should().Be(0, error);
        var run = new RunDirectory(Path.Combine(root, "runs", "auto"));
        Bbn.Core.Training.Checkpoint.ReadHeader(run.CheckpointPath).Data!.Recipe.Should().Be(ImageRecipe.Cifar(48));
    }

    [Fact]
    public async Task A_step_that_will_not_fit_in_memory_is_refused_before_the_first_one_with_the_estimate_and_the_fix()
    {
        string data = ImageFiles.WriteFolders(Path.Combine(root, "huge"), [4, 3], testPerClass: 1);

        // ResNet-32 on 224x224 crops at 4,096 images a branch: about 1.6 TB a step.
        var (code, _, error) = await AppRunner.Run("train", $"--Bbn:Training:OutputDirectory={Path.Combine(root, "runs")}", "--Bbn:Training:RunName=huge",
            "--Bbn:Training:BatchSize=4096", "--Bbn:Validation:Split=none", "--Bbn:Dataset:Name=image-folder", $"--Bbn:Dataset:Root={data}", "--Bbn:Dataset:Recipe=imagenet");

        code.Should().Be(2);
        error.Should().MatchRegex(@"One training step needs about [0-9.]+ GiB \(8192 images of 3x224x224 a step\), but [0-9.]+ GiB of memory is available\.")
            .And.Contain("Lower Bbn:Training:BatchSize (from 4096 to about").And.Contain("Bbn:Dataset:Recipe=cifar");
        Directory.Exists(Path.Combine(root, "runs", "huge")).Should().BeFalse("nothing is written for a run that was refused");
    }

    [Theory]
    [InlineData(48, 40, ImageRecipeKind.PadCrop, 48)]
    [InlineData(300, 200, ImageRecipeKind.RandomResizedCrop, 224)]
    public void The_recipe_follows_the_images_and_says_why(int width, int height, ImageRecipeKind kind, int size)
    {
        string folder = Directory.CreateDirectory(Path.Combine(root, $"probe-{width}")).FullName;
        var files = Enumerable.Range(0, 3).Select(i =>
        {
            string path = Path.Combine(folder, $"{i}.png");
            ImageFiles.Write(path, i, width, height);
            return new ImageFile(path, 0, $"{i}.png");
        }).ToList();

        var (recipe, why) = RecipeChoice.For(new ImageFileList(files, ["a"], new ChannelNormalization([0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f]), ImageRecipe.FollowImages()));

        recipe.Kind.Should().Be(kind);
        recipe.Size.Should().Be(size);
        why.Should().Contain("Bbn:Dataset:Recipe is not set").And.Contain($"{Math.Max(width, height)} pixels a side");
    }

    [Fact]
    public async Task An_unreadable_image_fails_the_run_naming_the_file_or_is_skipped_and_counted()
    {
        string data = ImageFiles.WriteFolders(Path.Combine(root, "folders"), [6, 6], testPerClass: 2);
        string bad = Path.Combine(data, "train", "class-a", "000.jpg");
        File.WriteAllBytes(bad, "this is not a JPEG"u8.ToArray());
        string truncated = Path.Combine(data, "test", "class-b", "000.jpg");
        File.WriteAllBytes(truncated, File.ReadAllBytes(truncated)[..200]);
        // Batch 6 of 12 images: the uniform sampler's two steps see every training image.
        string[] common = ["--Bbn:Dataset:Name=image-folder", $"--Bbn:Dataset:Root={data}", "--Bbn:Training:BatchSize=6"];

        var (failCode, _, failError) = await AppRunner.Run(Settings("fail", common));
        var (skipCode, _, skipError) = await AppRunner.Run(Settings("skip", [.. common, "--Bbn:Dataset:OnBadImage=skip"]));

        failCode.Should().Be(1);
        failError.Should().Contain($"Image {bad} cannot be read").And.Contain("Bbn:Dataset:OnBadImage=skip");
        skipError.Should().BeEmpty();
        skipCode.Should().Be(0);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "runs", "skip", "summary.json")));
        summary.RootElement.GetProperty("skipped_images").GetInt64().Should().Be(2, "the unreadable training image and the truncated test image");
        summary.RootElement.GetProperty("test_images").GetInt64().Should().Be(3, "the truncated test image is left out of the evaluation");
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
