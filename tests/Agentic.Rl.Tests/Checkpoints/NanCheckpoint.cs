using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Agentic.Rl.Tests.Checkpoints;

/// <summary>
/// Copies a checkpoint folder and puts a NaN into the first element of one weight, the way a file written by another
/// tool could hold one: the manifest is updated, so the file is intact and only its values are bad.
/// </summary>
internal static class NanCheckpoint
{
    public static void Write(string source, string target, string tensor = "lm_head.weight")
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);

        var path = Path.Combine(target, "model.safetensors");
        var bytes = File.ReadAllBytes(path);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength))!;
        long begin = header[tensor]!["data_offsets"]![0]!.GetValue<long>();
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan((int)(8 + headerLength + begin)), float.NaN);
        File.WriteAllBytes(path, bytes);

        var manifestPath = Path.Combine(target, "manifest.json");
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))!;
        var entry = manifest["files"]!["model.safetensors"]!;
        entry["bytes"] = bytes.LongLength;
        entry["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes));
        File.WriteAllText(manifestPath, manifest.ToJsonString());
    }
}
