using System.Runtime.InteropServices;

namespace Bbn.Core.Runs;

/// <summary>Writes a whole file or nothing, durably: a temporary file beside it flushed to disk, a rename, then the directory flushed.</summary>
public static partial class AtomicFile
{
    public static void WriteAllText(string path, string contents)
    {
        string temporary = path + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(contents);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
            SyncDirectory(path);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Flushes the directory holding <paramref name="path"/>, so that a rename into it survives a power
    /// loss (a file's own fsync does not cover its directory entry). Best effort where the platform has no fsync of a directory.
    /// </summary>
    public static void SyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        int descriptor = Open(directory, 0); // O_RDONLY
        if (descriptor < 0) return;
        try
        {
            _ = Fsync(descriptor);
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);
}
