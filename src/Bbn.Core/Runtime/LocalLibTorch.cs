namespace Bbn.Core.Runtime;

/// <summary>
/// Where a local-libtorch build (BbnTorchBackend=local) finds libtorch: BBN_LIBTORCH_DIR, else the folder named in
/// libtorch.path beside the host (written by the build). Null for the package builds, which carry libtorch.
/// </summary>
public static class LocalLibTorch
{
    public const string Variable = "BBN_LIBTORCH_DIR";
    public const string PathFile = "libtorch.path";

    public static string? Folder()
    {
        string? folder = Environment.GetEnvironmentVariable(Variable);
        string file = Path.Combine(AppContext.BaseDirectory, PathFile);
        if (string.IsNullOrWhiteSpace(folder) && File.Exists(file)) folder = File.ReadAllText(file).Trim();
        return string.IsNullOrWhiteSpace(folder) ? null : Path.GetFullPath(folder);
    }
}
