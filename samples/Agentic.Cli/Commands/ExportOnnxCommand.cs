using System.CommandLine;
using System.Diagnostics;
using Agentic.Rl.Checkpoints;
using Agentic.Rl.Export;
using Spectre.Console;

namespace Agentic.Cli.Commands;

/// <summary>
/// <c>agentic export-onnx --checkpoint DIR [--out PATH]</c>: writes the policy as an ONNX graph (with its config and
/// tokenizer) for <c>OnnxPolicySession</c>, then checks ONNX Runtime against TorchSharp on the same weights.
/// </summary>
internal static class ExportOnnxCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint folder", Required = true };
        var output = new Option<string?>("--out") { Description = "Output .onnx file, or a folder to write model.onnx into (default: CHECKPOINT-onnx/model.onnx)" };
        var verify = new Option<bool>("--verify") { Description = "Compare ONNX Runtime and TorchSharp logits on a left-padded batch and a greedy continuation", DefaultValueFactory = _ => true };
        var command = new Command("export-onnx", "Export a policy checkpoint to ONNX (KV-cache inputs and outputs, config and tokenizer in metadata)")
        {
            checkpoint, output, verify,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var source = Path.GetFullPath(parse.GetValue(checkpoint)!.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
            var path = ResolveOutput(parse.GetValue(output), source);
            var loaded = PolicyCheckpoint.Load(source);
            using var model = loaded.Model;
            var watch = Stopwatch.StartNew();
            OnnxPolicyExporter.Export(model, path, new OnnxExportOptions
            {
                Tokenizer = loaded.Tokenizer,
                Metadata = new Dictionary<string, string> { ["source_checkpoint"] = source },
            });
            var seconds = watch.Elapsed.TotalSeconds;
            var table = new Table().AddColumns("figure", "value");
            table.AddRow("model", Markup.Escape(path));
            table.AddRow("size", $"{new FileInfo(path).Length / 1e6:F1} MB");
            table.AddRow("parameters", model.ParameterCount.ToString("N0"));
            table.AddRow("opset", OnnxPolicyExporter.OpsetVersion.ToString());
            table.AddRow("export seconds", seconds.ToString("F2"));
            int exitCode = 0;
            if (parse.GetValue(verify))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var parity = InferenceParity.Measure(model, path, loaded.Tokenizer.EndOfTextId, batch: 4, promptLength: 12, decodeSteps: 32, seed: 1);
                table.AddRow("max abs logit diff (prefill + 32 steps)", parity.MaxAbsLogitDiff.ToString("E2"));
                table.AddRow("greedy generations identical", parity.GreedyIdentical ? "yes" : "NO");
                if (parity.MaxAbsLogitDiff >= 1e-4 || !parity.GreedyIdentical) exitCode = 1;
            }
            AnsiConsole.Write(table);
            return Task.FromResult(exitCode);
        });
        return command;
    }

    private static string ResolveOutput(string? output, string checkpoint)
    {
        if (string.IsNullOrEmpty(output)) return Path.Combine($"{checkpoint}-onnx", "model.onnx");
        var full = Path.GetFullPath(output);
        return full.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? full : Path.Combine(full, "model.onnx");
    }
}
