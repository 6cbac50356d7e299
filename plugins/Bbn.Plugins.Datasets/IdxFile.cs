using System.Buffers.Binary;
using System.IO.Compression;

namespace Bbn.Plugins.Datasets;

/// <summary>Reads the IDX format of (Fashion-)MNIST, gzip-compressed or plain.</summary>
public static class IdxFile
{
    private const int LabelsMagic = 0x00000801;
    private const int ImagesMagic = 0x00000803;

    public static byte[] ReadLabels(string path)
    {
        byte[] data = ReadAll(path);
        int count = Header(data, path, LabelsMagic, dimensions: 1)[0];
        return Payload(data, path, 8, count);
    }

    public static (byte[] Pixels, int Count, int Rows, int Cols) ReadImages(string path)
    {
        byte[] data = ReadAll(path);
        int[] dims = Header(data, path, ImagesMagic, dimensions: 3);
        return (Payload(data, path, 16, (long)dims[0] * dims[1] * dims[2]), dims[0], dims[1], dims[2]);
    }

    private static byte[] ReadAll(string path)
    {
        using var file = File.OpenRead(path);
        using Stream source = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var buffer = new MemoryStream();
        source.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static int[] Header(byte[] data, string path, int magic, int dimensions)
    {
        int headerSize = 4 + (4 * dimensions);
        if (data.Length < headerSize || BinaryPrimitives.ReadInt32BigEndian(data) != magic)
            throw new InvalidDataException($"{path} is not an IDX file with magic 0x{magic:X8}.");
        return Enumerable.Range(0, dimensions).Select(i => BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4 + (4 * i)))).ToArray();
    }

    private static byte[] Payload(byte[] data, string path, int offset, long length)
    {
        if (data.Length - offset < length)
            throw new InvalidDataException($"{path} is truncated: expected {length} bytes after the header, found {data.Length - offset}.");
        return data.AsSpan(offset, (int)length).ToArray();
    }
}
