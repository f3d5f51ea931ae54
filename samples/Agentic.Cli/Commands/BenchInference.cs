using System.CommandLine;
using System.Diagnostics;
using Agentic.Core.Generation;
using Agentic.Core.Inference;
using Agentic.Core.Randomness;
using Agentic.Core.Sampling;
using Agentic.Rl.Checkpoints;
using Agentic.Rl.Export;
using Agentic.Rl.Generation;
using Agentic.Rl.Modeling;
using Agentic.Cli.Jobs;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace Agentic.Cli.Commands;

/// <summary>
/// <c>agentic bench inference [--checkpoint DIR] [--json FILE]</c>: ONNX Runtime against TorchSharp eager on the same
/// weights in one process: decode tokens/s and time to first token at batch 1 and 8, and the largest logit difference.
/// </summary>
internal static class BenchInference
{
    public static Command Create()
    {
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint folder (default: a freshly initialised default policy)" };
        var promptLength = new Option<int>("--prompt-tokens") { Description = "Prompt length", DefaultValueFactory = _ => 32 };
        var newTokens = new Option<int>("--new-tokens") { Description = "Tokens generated per sequence", DefaultValueFactory = _ => 64 };
        var repeats = new Option<int>("--repeats") { Description = "Timed repeats (the median is reported)", DefaultValueFactory = _ => 5 };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads for both engines", DefaultValueFactory = _ => Environment.ProcessorCount };
        var seed = new Option<ulong>("--seed") { Description = "Seed for the fresh model and the prompts", DefaultValueFactory = _ => 1UL };
        var json = new Option<string?>("--json") { Description = "Write the figures as JSON to this file" };
        var command = new Command("inference", "Decode tokens/s and time to first token: ONNX Runtime vs TorchSharp eager, batch 1 and 8")
        {
            checkpoint, promptLength, newTokens, repeats, threads, seed, json,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var settings = new Settings(parse.GetValue(checkpoint), parse.GetValue(promptLength), parse.GetValue(newTokens),
                Math.Max(1, parse.GetValue(repeats)), Math.Max(1, parse.GetValue(threads)), parse.GetValue(seed));
            var report = Run(settings, cancellationToken);
            var table = new Table().AddColumns("figure", "TorchSharp eager", "ONNX Runtime", "ratio");
            foreach (var (b, torchRow, ortRow) in report.Rows)
            {
                table.AddRow($"decode tokens/s, batch {b}", torchRow.DecodeTokensPerSecond.ToString("N0"), ortRow.DecodeTokensPerSecond.ToString("N0"), $"{ortRow.DecodeTokensPerSecond / torchRow.DecodeTokensPerSecond:F2}x");
                table.AddRow($"time to first token, batch {b}", $"{torchRow.TimeToFirstTokenMs:F2} ms", $"{ortRow.TimeToFirstTokenMs:F2} ms", $"{torchRow.TimeToFirstTokenMs / ortRow.TimeToFirstTokenMs:F2}x");
            }
            table.AddRow("max abs logit diff", "", report.Parity.MaxAbsLogitDiff.ToString("E2"), "");
            table.AddRow("greedy generations identical", "", report.Parity.GreedyIdentical ? "yes" : "NO", "");
            AnsiConsole.Write(table);
            AnsiConsole.WriteLine($"{report.Model}; {settings.PromptTokens} prompt tokens, {settings.NewTokens} new tokens, {settings.Threads} threads");
            if (parse.GetValue(json) is { } path)
            {
                var figures = new Dictionary<string, object?>
                {
                    ["onnx_vs_torchsharp_decode_ratio_batch1"] = report.Ratio(1),
                    ["onnx_vs_torchsharp_decode_ratio_batch8"] = report.Ratio(8),
                    ["max_abs_logit_diff"] = report.Parity.MaxAbsLogitDiff,
                    ["greedy_identical"] = report.Parity.GreedyIdentical,
                    ["model"] = report.Model,
                    ["prompt_tokens"] = settings.PromptTokens,
                    ["new_tokens"] = settings.NewTokens,
                    ["threads"] = settings.Threads,
                };
                foreach (var (b, torchRow, ortRow) in report.Rows)
                {
                    figures[$"torchsharp_decode_tokens_per_second_batch{b}"] = torchRow.DecodeTokensPerSecond;
                    figures[$"onnx_decode_tokens_per_second_batch{b}"] = ortRow.DecodeTokensPerSecond;
                    figures[$"torchsharp_time_to_first_token_ms_batch{b}"] = torchRow.TimeToFirstTokenMs;
                    figures[$"onnx_time_to_first_token_ms_batch{b}"] = ortRow.TimeToFirstTokenMs;
                }
                JsonOutput.Write(path, figures);
            }
            return Task.FromResult(report.Parity.MaxAbsLogitDiff < 1e-4 && report.Parity.GreedyIdentical ? 0 : 1);
        });
        return command;
    }

    private sealed record Settings(string? Checkpoint, int PromptTokens, int NewTokens, int Repeats, int Threads, ulong Seed);

    private sealed record EngineTiming(double DecodeTokensPerSecond, double TimeToFirstTokenMs);

    private sealed record Report(string Model, IReadOnlyList<(int Batch, EngineTiming Torch, EngineTiming Onnx)> Rows, ParityReport Parity)
    {
        public double Ratio(int batch) => Rows.Where(r => r.Batch == batch).Select(r => r.Onnx.DecodeTokensPerSecond / r.Torch.DecodeTokensPerSecond).FirstOrDefault(double.NaN);
    }

    private static Report Run(Settings settings, CancellationToken cancellationToken)
    {
        torch.set_num_threads(settings.Threads);
        MoeCausalLM model;
        Agentic.Core.Tokenization.ByteLevelTokenizer tokenizer;
        string description;
        if (settings.Checkpoint is { } dir)
        {
            var loaded = PolicyCheckpoint.Load(dir);
            (model, tokenizer, description) = (loaded.Model, loaded.Tokenizer, $"checkpoint {loaded.Directory}");
        }
        else
        {
            tokenizer = DefaultPolicy.CreateTokenizer();
            model = new MoeCausalLM(DefaultPolicy.Config(tokenizer), (long)settings.Seed);
            description = "fresh default policy";
        }
        description += $" ({model.ParameterCount:N0} parameters)";
        using var _ = model;
        model.eval();
        var folder = Path.Combine(Path.GetTempPath(), $"agentic-bench-onnx-{Guid.NewGuid():N}");
        try
        {
            var path = Path.Combine(folder, "model.onnx");
            OnnxPolicyExporter.Export(model, path, new OnnxExportOptions { Tokenizer = tokenizer, WriteSidecarFiles = false });
            // Timed repeats run the same prompts: no prefix reuse, so every repeat prefills them in full.
            using var session = new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = path, IntraOpThreads = settings.Threads, PadTokenId = tokenizer.EndOfTextId, PrefixCacheMegabytes = 0 });
            var generator = new PolicyGenerator(model, tokenizer.EndOfTextId);
            int promptTokens = Math.Min(settings.PromptTokens, model.Config.MaxPositionEmbeddings - settings.NewTokens);
            var rows = new List<(int, EngineTiming, EngineTiming)>();
            foreach (var batch in new[] { 1, 8 })
            {
                cancellationToken.ThrowIfCancellationRequested();
                var prompts = Prompts(batch, promptTokens, model.Config.VocabSize, settings.Seed);
                var (torchTiming, onnxTiming) = TimeBoth(generator, session, prompts, settings, cancellationToken);
                rows.Add((batch, torchTiming, onnxTiming));
            }
            var parity = InferenceParity.Measure(model, path, tokenizer.EndOfTextId, batch: 8, promptLength: promptTokens, decodeSteps: settings.NewTokens, seed: settings.Seed);
            return new Report(description, rows, parity);
        }
        finally
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    private static IReadOnlyList<IReadOnlyList<int>> Prompts(int batch, int length, int vocab, ulong seed)
    {
        var random = new DeterministicRandom(seed + 17);
        return Enumerable.Range(0, batch).Select(_ => (IReadOnlyList<int>)Enumerable.Range(0, length).Select(_ => random.Next(vocab)).ToArray()).ToArray();
    }

    /// <summary>
    /// Time to first token = a generation of one token (prefill plus one sample); decode tokens/s = the extra tokens of
    /// a full generation over its extra time. Medians over the repeats after one untimed warm-up each; the two engines
    /// alternate within every repeat so that load from other processes hits both alike.
    /// </summary>
    private static (EngineTiming Torch, EngineTiming Onnx) TimeBoth(
        ITokenGenerator torchEngine, ITokenGenerator onnxEngine, IReadOnlyList<IReadOnlyList<int>> prompts, Settings settings, CancellationToken cancellationToken)
    {
        var first = new SamplingOptions { Temperature = 0, MaxNewTokens = 1 };
        var full = new SamplingOptions { Temperature = 0, MaxNewTokens = settings.NewTokens };
        ITokenGenerator[] engines = [torchEngine, onnxEngine];
        var ttft = new[] { new List<double>(), new List<double>() };
        var total = new[] { new List<double>(), new List<double>() };
        foreach (var engine in engines) engine.Generate(prompts, full, cancellationToken);
        for (int i = 0; i < settings.Repeats; i++)
        {
            for (int e = 0; e < engines.Length; e++)
            {
                var watch = Stopwatch.StartNew();
                engines[e].Generate(prompts, first, cancellationToken);
                ttft[e].Add(watch.Elapsed.TotalMilliseconds);
                watch.Restart();
                engines[e].Generate(prompts, full, cancellationToken);
                total[e].Add(watch.Elapsed.TotalMilliseconds);
            }
        }
        EngineTiming Timing(int e)
        {
            double medianFirst = TrainBenchmark.Median(ttft[e]), medianTotal = TrainBenchmark.Median(total[e]);
            double decodeSeconds = Math.Max(medianTotal - medianFirst, 1e-6) / 1000.0;
            return new EngineTiming(prompts.Count * (settings.NewTokens - 1) / decodeSeconds, medianFirst);
        }
        return (Timing(0), Timing(1));
    }
}

/// <summary>Largest logit difference between ONNX Runtime and TorchSharp, and whether greedy generations agree.</summary>
internal sealed record ParityReport(double MaxAbsLogitDiff, bool GreedyIdentical);

/// <summary>
/// Runs an exported model and its TorchSharp source side by side: prefill of a left-padded batch, then a greedy
/// continuation teacher-forced with TorchSharp's choices, comparing every logit; then greedy generations of
/// <see cref="OnnxPolicySession"/> and <see cref="PolicyGenerator"/>.
/// </summary>
internal static class InferenceParity
{
    public static ParityReport Measure(MoeCausalLM model, string onnxPath, int padTokenId, int batch, int promptLength, int decodeSteps, ulong seed)
    {
        var config = model.Config;
        promptLength = Math.Max(1, Math.Min(promptLength, config.MaxPositionEmbeddings - decodeSteps - 1));
        var random = new DeterministicRandom(seed);
        // Ragged prompts: row b has promptLength - b * promptLength / (2 * batch) tokens, left-padded.
        var prompts = Enumerable.Range(0, batch)
            .Select(b => Enumerable.Range(0, Math.Max(1, promptLength - b * promptLength / (2 * batch))).Select(_ => random.Next(config.VocabSize)).ToArray())
            .ToArray();
        int length = prompts.Max(p => p.Length), vocab = config.VocabSize, layers = config.NumHiddenLayers;
        var ids = new long[batch * length];
        var mask = new long[batch * length];
        var positions = new long[batch * length];
        var real = new long[batch];
        for (int b = 0; b < batch; b++)
        {
            int offset = length - prompts[b].Length;
            for (int i = 0; i < length; i++)
            {
                bool isReal = i >= offset;
                ids[b * length + i] = isReal ? prompts[b][i - offset] : padTokenId;
                mask[b * length + i] = isReal ? 1 : 0;
                if (isReal) real[b]++;
                positions[b * length + i] = Math.Max(real[b] - 1, 0);
            }
        }

        using var session = new InferenceSession(onnxPath);
        var inputNames = new List<string> { "input_ids", "attention_mask", "position_ids" };
        int window = config.PreviousTokenEmbedding ? config.PreviousTokenWindow : 0;
        for (int d = 1; d <= window; d++) inputNames.Add(d == 1 ? "previous_ids" : $"previous_ids_{d}");
        var outputNames = new List<string> { "logits" };
        for (int i = 0; i < layers; i++)
        {
            inputNames.AddRange([$"past_key_values.{i}.key", $"past_key_values.{i}.value"]);
            outputNames.AddRange([$"present.{i}.key", $"present.{i}.value"]);
        }
        var past = Enumerable.Range(0, 2 * layers)
            .Select(_ => OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, [batch, config.NumKeyValueHeads, 0, config.HeadDim]))
            .ToList();
        double maxDiff = 0;
        using var noGrad = no_grad();
        using var cache = new KvCache(layers);
        try
        {
            int total = length, step = length;
            // previous_ids(_d): the token d positions before each position, or vocab_size where it is padding or absent.
            var history = (long[])ids.Clone();
            var previous = new long[window][];
            for (int d = 1; d <= window; d++)
            {
                previous[d - 1] = new long[batch * length];
                for (int b = 0; b < batch; b++)
                    for (int i = 0; i < length; i++)
                        previous[d - 1][b * length + i] = i >= d && mask[b * length + i - d] == 1 ? ids[b * length + i - d] : vocab;
            }
            for (int s = 0; s <= decodeSteps; s++)
            {
                float[] torchLogits;
                using (NewDisposeScope())
                {
                    var output = model.forward(new CausalLMInput(tensor(ids, [batch, step]), tensor(mask, [batch, total]), Cache: cache));
                    torchLogits = output.Logits.contiguous().to(float32).data<float>().ToArray();
                }
                float[] ortLogits;
                using (var idsValue = OrtValue.CreateTensorValueFromMemory(ids, [batch, step]))
                using (var maskValue = OrtValue.CreateTensorValueFromMemory(mask, [batch, total]))
                using (var posValue = OrtValue.CreateTensorValueFromMemory(positions, [batch, step]))
                using (var runOptions = new RunOptions())
                {
                    var previousValues = previous.Select(p => OrtValue.CreateTensorValueFromMemory(p, [batch, step])).ToArray();
                    OrtValue[] inputs = [idsValue, maskValue, posValue, .. previousValues];
                    var results = session.Run(runOptions, inputNames, [.. inputs, .. past], outputNames).ToList();
                    foreach (var value in previousValues) value.Dispose();
                    ortLogits = results[0].GetTensorDataAsSpan<float>().ToArray();
                    results[0].Dispose();
                    foreach (var value in past) value.Dispose();
                    past = results.Skip(1).ToList();
                }
                for (int i = 0; i < torchLogits.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs((double)torchLogits[i] - ortLogits[i]));

                // Next step: TorchSharp's greedy token for every row, one more real position.
                var next = new long[batch];
                var nextPositions = new long[batch];
                for (int b = 0; b < batch; b++)
                {
                    var row = torchLogits.AsSpan(((b * step) + step - 1) * vocab, vocab);
                    int best = 0;
                    for (int v = 1; v < vocab; v++) if (row[v] > row[best]) best = v;
                    next[b] = best;
                    nextPositions[b] = real[b]++;
                }
                var nextMask = new long[batch * (total + 1)];
                var nextHistory = new long[batch * (total + 1)];
                for (int b = 0; b < batch; b++)
                {
                    Array.Copy(mask, b * total, nextMask, b * (total + 1), total);
                    nextMask[b * (total + 1) + total] = 1;
                    Array.Copy(history, b * total, nextHistory, b * (total + 1), total);
                    nextHistory[b * (total + 1) + total] = next[b];
                }
                // The new position is at index total: the token d before it is at total - d.
                for (int d = 1; d <= window; d++)
                    previous[d - 1] = Enumerable.Range(0, batch).Select(b => total - d >= 0 && mask[b * total + total - d] == 1 ? history[b * total + total - d] : vocab).ToArray();
                history = nextHistory;
                (ids, mask, positions, step, total) = (next, nextMask, nextPositions, 1, total + 1);
            }
        }
        finally
        {
            foreach (var value in past) value.Dispose();
        }

        using var policySession = new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = onnxPath, PadTokenId = padTokenId });
        var options = new SamplingOptions { Temperature = 0, MaxNewTokens = decodeSteps };
        var expected = new PolicyGenerator(model, padTokenId).Generate(prompts, options);
        var actual = policySession.Generate(prompts, options);
        bool identical = expected.Zip(actual).All(p => p.First.TokenIds.SequenceEqual(p.Second.TokenIds));
        return new ParityReport(maxDiff, identical);
    }
}
