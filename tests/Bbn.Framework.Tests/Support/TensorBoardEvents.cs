namespace Bbn.Framework.Tests;

/// <summary>Reads TensorBoard event files back: TFRecord framing (length, crc, payload, crc) around Event protos.</summary>
internal static class TensorBoardEvents
{
    public static List<(string Tag, long Step, float Value)> ReadScalars(string folder)
    {
        var scalars = new List<(string, long, float)>();
        foreach (string file in Directory.GetFiles(folder, "events.out.tfevents.*"))
        {
            using var reader = new BinaryReader(File.OpenRead(file));
            while (reader.BaseStream.Position < reader.BaseStream.Length)
            {
                long length = reader.ReadInt64();
                reader.ReadUInt32(); // masked crc of the length
                byte[] payload = reader.ReadBytes((int)length);
                reader.ReadUInt32(); // masked crc of the payload
                var e = Tensorboard.Event.Parser.ParseFrom(payload);
                if (e.Summary is null) continue;
                foreach (var value in e.Summary.Value) scalars.Add((value.Tag, e.Step, value.SimpleValue));
            }
        }
        return scalars;
    }
}
