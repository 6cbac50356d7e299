using System.Collections;
using System.Diagnostics;
using Bbn.Abstractions;
using Bbn.Core.Inference;
using Bbn.Core.Interop;
using FluentAssertions;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

[Collection(TorchCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class PyTorchInteropTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public void Parameter_names_follow_the_official_bbn_network()
    {
        using var bilateral = TinyNetwork.Create(bilateral: true, classes: 10);
        var names = OfficialBbnWeights.NameMap(bilateral).Values.ToList();
        names.Should().Contain(["backbone.conv1.weight", "backbone.bn1.running_mean", "backbone.layer3.3.conv2.weight",
            "backbone.cb_block.conv1.weight", "backbone.rb_block.bn2.running_var", "classifier.weight", "classifier.bias"]);
        names.Should().OnlyContain(n => n.StartsWith("backbone.", StringComparison.Ordinal) || n.StartsWith("classifier.", StringComparison.Ordinal));
        names.Should().OnlyHaveUniqueItems();

        using var single = TinyNetwork.Create(bilateral: false, classes: 10);
        OfficialBbnWeights.NameMap(single).Values.Should().Contain("backbone.layer3.4.conv1.weight", "res32_cifar's layer3 has five blocks")
            .And.NotContain(n => n.Contains("cb_block", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Exported_weights_load_into_the_official_network_in_pytorch_and_its_saved_weights_import_back()
    {
        File.Exists(Python).Should().BeTrue("Debian's python3 (with python3-torch) is installed by scripts/install-test-tools.sh");
        string work = Directory.CreateTempSubdirectory("bbn-interop-").FullName;
        try
        {
            string exported = Path.Combine(work, "model.pth");
            var (code, _, error) = await AppRunner.Run(["export", run.RunPath, exported, .. run.Settings()]);
            error.Should().BeEmpty();
            code.Should().Be(0);

            RunPython(exported, work);

            // PyTorch's logits of the exported weights equal ours on the same input.
            using var predictor = Predictor.Load(Path.Combine(run.RunPath, "checkpoint.bbn"),
                BuiltInComponents.Create<IBackbone>("resnet32"), BuiltInComponents.Create<ITrainingMethod>("bbn"), BuiltInComponents.Create<ILoss>("cross-entropy"), CPU);
            var (input, pythonLogits) = ReadLogits(Path.Combine(work, "python-logits.pth"));
            using (var ours = Logits(predictor.Network, input))
                ours.allclose(pythonLogits, rtol: 1e-4, atol: 1e-4).Should().BeTrue("the official network computes the same function from the exported weights");

            // PyTorch's own torch.save of perturbed weights imports into a checkpoint that computes PyTorch's logits.
            string imported = Path.Combine(work, "imported.bbn");
            (code, _, error) = await AppRunner.Run(["import", Path.Combine(work, "perturbed.pth"), imported, .. run.Settings()]);
            error.Should().BeEmpty();
            code.Should().Be(0);
            using var importedPredictor = Predictor.Load(imported,
                BuiltInComponents.Create<IBackbone>("resnet32"), BuiltInComponents.Create<ITrainingMethod>("bbn"), BuiltInComponents.Create<ILoss>("cross-entropy"), CPU);
            var (input2, perturbedLogits) = ReadLogits(Path.Combine(work, "perturbed-logits.pth"));
            using var theirs = Logits(importedPredictor.Network, input2);
            theirs.allclose(perturbedLogits, rtol: 1e-4, atol: 1e-4).Should().BeTrue("the imported weights are PyTorch's");
            theirs.allclose(pythonLogits, rtol: 1e-3, atol: 1e-3).Should().BeFalse("the perturbed weights differ from the exported ones");

            (code, _, error) = await AppRunner.Run(["import", Path.Combine(work, "perturbed.pth"), imported, .. run.Settings()]);
            code.Should().Be(1);
            error.Should().Contain("already exists").And.Contain("never replaces");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task Importing_weights_of_another_network_names_what_does_not_match()
    {
        string work = Directory.CreateTempSubdirectory("bbn-interop-bad-").FullName;
        try
        {
            using var single = TinyNetwork.Create(bilateral: false, classes: 10);
            string file = Path.Combine(work, "single.pth");
            OfficialBbnWeights.Export(single, file);

            var (code, _, error) = await AppRunner.Run(["import", file, Path.Combine(work, "out.bbn"), .. run.Settings()]);

            code.Should().Be(1);
            error.Should().Contain("single.pth does not match this network").And.Contain("backbone.cb_block").And.Contain("backbone.layer3.4");
            File.Exists(Path.Combine(work, "out.bbn")).Should().BeFalse();
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static void RunPython(string exported, string work)
    {
        var start = new ProcessStartInfo(Python)
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "python", "official_bbn_roundtrip.py"), exported, work, "1", "10", "bbn", "linear" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.Should().Be(0, $"the PyTorch side should load the export strictly; it said: {stderr}");
        stdout.Should().StartWith("ok");
    }

    private static (Tensor Input, Tensor Logits) ReadLogits(string path)
    {
        using var stream = File.OpenRead(path);
        Hashtable table = PyTorchUnpickler.UnpickleStateDict(stream);
        return ((Tensor)table["input"]!, (Tensor)table["logits"]!);
    }

    private static Tensor Logits(Bbn.Core.Model.BranchNetwork network, Tensor input)
    {
        using var noGrad = no_grad();
        network.eval();
        return network.call(input);
    }
}
