using Bbn.Core.Runs;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>A verb given a run reads the data the run was trained on (its config.json), and the command line overrides it.</summary>
[Collection(TorchCollection.Name)]
public sealed class RunSettingsTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    [Fact]
    public async Task Evaluate_of_a_run_trained_on_another_root_finds_its_data_with_no_other_argument()
    {
        string output = Path.Combine(run.Root, "evaluate-plain", "summary.json");
        var (code, stdout, error) = await AppRunner.Run("evaluate", run.RunPath, $"--Bbn:Evaluate:Output={output}");

        code.Should().Be(0, error);
        stdout.Should().Contain("top-1");
        File.Exists(output).Should().BeTrue();
    }

    [Fact]
    public async Task A_moved_dataset_names_the_setting_and_the_runs_file_it_came_from_and_the_command_line_overrides_it()
    {
        string moved = Path.Combine(run.Root, "data-moved");
        CopyFolder(run.Data, moved);
        string runCopy = Path.Combine(run.Root, "runs-moved", "bbn");
        CopyFolder(run.RunPath, runCopy);
        string config = new RunDirectory(runCopy).ConfigPath;
        File.WriteAllText(config, File.ReadAllText(config).Replace(run.Data.Replace("\\", "\\\\"), Path.Combine(run.Root, "nowhere"), StringComparison.Ordinal));

        var (code, _, error) = await AppRunner.Run("evaluate", runCopy, $"--Bbn:Evaluate:Output={Path.Combine(runCopy, "e1.json")}");
        code.Should().Be(1);
        error.Should().Contain("Bbn:Dataset:Root").And.Contain(config).And.Contain("--Bbn:Dataset:Root=<folder>");
        error.TrimEnd().Split('\n').Should().HaveCount(1, "the failure is one line");

        (code, _, error) = await AppRunner.Run("evaluate", runCopy, $"--Bbn:Dataset:Root={moved}", $"--Bbn:Evaluate:Output={Path.Combine(runCopy, "e2.json")}");
        code.Should().Be(0, error);
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
    }
}
