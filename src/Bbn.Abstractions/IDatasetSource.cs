using static TorchSharp.torch;

namespace Bbn.Abstractions;

/// <summary>A source of labelled images. The trainer applies the long-tailed profile itself.</summary>
public interface IDatasetSource
{
    /// <summary>
    /// Loads one split. Throws <see cref="DatasetNotFoundException"/> naming the missing file and
    /// how to get it when the data are absent.
    /// </summary>
    LabelledImages Load(DatasetSplit split);

    /// <summary>
    /// For datasets too large to hold decoded in memory (iNaturalist, image folders): the split's
    /// encoded image files, which the host decodes in parallel ahead of each training step with
    /// <see cref="ImageFileList.Recipe"/>. <c>null</c> (the default) means the source loads its pixels
    /// with <see cref="Load"/>; a source that returns a list here is never asked to <see cref="Load"/>.
    /// Throws <see cref="DatasetNotFoundException"/> for a missing file or folder and
    /// <see cref="InvalidDataException"/> naming the file (and first bad entry) for malformed input.
    /// (Contracts 1.2.)
    /// </summary>
    ImageFileList? ListFiles(DatasetSplit split) => null;

    /// <summary>
    /// Whether the source has <paramref name="split"/> of its own. Train and Test always; Validation
    /// only where the data come with one (image-folder's val/ folder, a validation annotation file):
    /// elsewhere the host holds a validation split out of the training images. (Contracts 1.5.)
    /// </summary>
    bool Provides(DatasetSplit split) => split != DatasetSplit.Validation;
}

/// <summary>Which part of a dataset.</summary>
public enum DatasetSplit
{
    /// <summary>The training images.</summary>
    Train,

    /// <summary>The test images: reported, never used to choose anything.</summary>
    Test,

    /// <summary>Images held out of training for model selection and post-hoc tuning (contracts 1.5).</summary>
    Validation,
}

/// <summary>
/// Images decoded once into memory. Owns <see cref="Images"/>; dispose it when done.
/// </summary>
/// <param name="Images">uint8 [N, C, H, W] pixels, on the CPU.</param>
/// <param name="Labels">The class index of each image.</param>
/// <param name="ClassNames">One name per class; the class count is its length.</param>
/// <param name="Normalization">Per-channel mean and standard deviation of pixel/255.</param>
public sealed record LabelledImages(Tensor Images, int[] Labels, IReadOnlyList<string> ClassNames, ChannelNormalization Normalization) : IDisposable
{
    /// <summary>The shape of one image.</summary>
    public ImageShape Shape => new((int)Images.shape[1], (int)Images.shape[2], (int)Images.shape[3]);

    /// <inheritdoc />
    public void Dispose() => Images.Dispose();
}

/// <summary>Per-channel mean and standard deviation (of pixel values scaled to [0, 1]).</summary>
/// <param name="Mean">One value per channel.</param>
/// <param name="Std">One value per channel.</param>
public sealed record ChannelNormalization(float[] Mean, float[] Std);

/// <summary>The dataset's files are not where the configuration points.</summary>
public sealed class DatasetNotFoundException : Exception
{
    /// <summary>Creates the error; the message says which file is missing and what to do.</summary>
    public DatasetNotFoundException(string message) : base(message) { }
}
