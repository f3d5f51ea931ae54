using Agentic.Core.Generation;
using Agentic.Core.Inference;
using Agentic.Core.Sampling;
using Agentic.Core.Tokenization;
using Agentic.Rl.Export;
using Agentic.Rl.Generation;
using Agentic.Rl.Modeling;
using Agentic.Rl.Tests.Modeling;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Agentic.Rl.Tests.Export;

public sealed class OnnxPolicyExporterTests : IDisposable
{
    private const double Tolerance = 1e-4;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"agentic-onnx-{Guid.NewGuid():N}");
    private readonly ITestOutputHelper _output;

    public OnnxPolicyExporterTests(ITestOutputHelper output)
    {
        _output = output;
        Directory.CreateDirectory(_dir);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>Routed experts only: no zero experts, no shared expert, full multi-head attention, unnormalised scaled weights.</summary>
    private static MoeTransformerConfig RoutedOnly() => TinyModels.Config() with
    {
        NumKeyValueHeads = 4,
        NumZeroExperts = 0,
        NumSharedExperts = 0,
        NormTopKProb = false,
        RoutedScalingFactor = 1.5f,
    };

    /// <summary>Zero experts, a shared expert, grouped-query attention (4 query heads over 2 KV heads) and the previous-token embedding.</summary>
    private static MoeTransformerConfig ZeroSharedGqa() => TinyModels.Config() with { PreviousTokenEmbedding = true };

    public static TheoryData<string> Configs => new() { "routed-only", "zero-shared-gqa", "previous-3", "sinks" };

    private static MoeTransformerConfig ConfigFor(string name) => name switch
    {
        "routed-only" => RoutedOnly(),
        // The embeddings of the three tokens before each position (previous_ids, previous_ids_2, previous_ids_3).
        "previous-3" => ZeroSharedGqa() with { PreviousTokenWindow = 3 },
        // A learned sink logit per attention head (the softmax's extra column).
        "sinks" => ZeroSharedGqa() with { PreviousTokenWindow = 3, AttentionSinks = true },
        _ => ZeroSharedGqa(),
    };

    private static MoeCausalLM CreateModel(MoeTransformerConfig config, long seed)
    {
        var model = new MoeCausalLM(config, seed);
        model.eval();
        // A non-zero router bias so that selection (scores + bias) and weights (scores) differ, as after training.
        using var _ = no_grad();
        using var generator = new Generator((ulong)seed + 1000);
        foreach (var moe in model.MoeLayers) moe.RouterBias.copy_(randn(moe.RouterBias.shape, generator: generator) * 0.05);
        return TinyModels.RandomizeSinks(model, generator);
    }

    private string ExportModel(MoeCausalLM model)
    {
        var path = Path.Combine(_dir, "model.onnx");
        OnnxPolicyExporter.Export(model, path, new OnnxExportOptions { Tokenizer = new ByteLevelTokenizer(["<|eot|>"]) });
        return path;
    }

    private static readonly int[][] s_prompts = [[5, 6, 7, 8, 9, 10, 11], [12, 13, 14], [40, 41, 42, 43, 44]];

    [Theory]
    [MemberData(nameof(Configs))]
    public void Logits_match_TorchSharp_for_left_padded_prefill_and_64_decode_steps(string configName)
    {
        using var model = CreateModel(ConfigFor(configName), seed: 31);
        var config = model.Config;
        var path = ExportModel(model);
        using var session = new InferenceSession(path);

        int batch = s_prompts.Length, length = s_prompts.Max(p => p.Length), vocab = config.VocabSize;
        var ids = new long[batch * length];
        var mask = new long[batch * length];
        var positions = new long[batch * length];
        var real = new long[batch];
        for (int b = 0; b < batch; b++)
        {
            int offset = length - s_prompts[b].Length;
            for (int i = 0; i < length; i++)
            {
                bool isReal = i >= offset;
                ids[b * length + i] = isReal ? s_prompts[b][i - offset] : 0;
                mask[b * length + i] = isReal ? 1 : 0;
                if (isReal) real[b]++;
                positions[b * length + i] = Math.Max(real[b] - 1, 0);
            }
        }

        using var noGrad = no_grad();
        using var cache = new KvCache(config.NumHiddenLayers);
        var maskList = mask.ToList();
        float[] torchLogits;
        using (NewDisposeScope())
        {
            var output = model.forward(new CausalLMInput(tensor(ids, [batch, length]), tensor(mask, [batch, length]), Cache: cache));
            torchLogits = output.Logits.contiguous().data<float>().ToArray();
        }
        var past = EmptyPast(config, batch);
        // previous_ids(_d): the token d positions before each position, or vocab_size where that position is padding or absent.
        int window = config.PreviousTokenEmbedding ? config.PreviousTokenWindow : 0;
        var history = ids.ToList();
        var previous = new long[window][];
        for (int d = 1; d <= window; d++)
        {
            previous[d - 1] = new long[batch * length];
            for (int b = 0; b < batch; b++)
                for (int i = 0; i < length; i++)
                    previous[d - 1][b * length + i] = i >= d && mask[b * length + i - d] == 1 ? ids[b * length + i - d] : vocab;
        }
        var (ortLogits, present) = RunOrt(session, config, ids, mask, positions, previous, batch, length, past);
        double prefillDiff = MaxAbsDiff(torchLogits, ortLogits);
        Assert.True(prefillDiff < Tolerance, $"prefill max abs diff {prefillDiff}");

        double decodeDiff = 0;
        int total = length;
        for (int step = 0; step < 64; step++)
        {
            // Teacher-force both engines with TorchSharp's greedy choice so that they stay in lockstep.
            var next = new long[batch];
            var nextPositions = new long[batch];
            for (int b = 0; b < batch; b++)
            {
                var row = torchLogits.AsSpan(((b * (torchLogits.Length / (batch * vocab))) + (torchLogits.Length / (batch * vocab)) - 1) * vocab, vocab);
                next[b] = row.IndexOf(TensorPrimitivesMax(row));
                nextPositions[b] = real[b]++;
            }
            var stepPrevious = new long[window][];
            for (int d = 1; d <= window; d++)
            {
                stepPrevious[d - 1] = new long[batch];
                for (int b = 0; b < batch; b++)
                    stepPrevious[d - 1][b] = total - d >= 0 && maskList[b * total + total - d] == 1 ? history[b * total + total - d] : vocab;
            }
            total++;
            var stepMask = new long[batch * total];
            var stepHistory = new long[batch * total];
            for (int b = 0; b < batch; b++)
            {
                for (int j = 0; j < total - 1; j++)
                {
                    stepMask[b * total + j] = maskList[b * (total - 1) + j];
                    stepHistory[b * total + j] = history[b * (total - 1) + j];
                }
                stepMask[b * total + total - 1] = 1;
                stepHistory[b * total + total - 1] = next[b];
            }
            maskList = [.. stepMask];
            history = [.. stepHistory];
            using (NewDisposeScope())
            {
                var output = model.forward(new CausalLMInput(tensor(next, [batch, 1]), tensor(stepMask, [batch, total]), Cache: cache));
                torchLogits = output.Logits.contiguous().data<float>().ToArray();
            }
            foreach (var value in past) value.Dispose();
            past = present;
            (ortLogits, present) = RunOrt(session, config, next, stepMask, nextPositions, stepPrevious, batch, 1, past);
            decodeDiff = Math.Max(decodeDiff, MaxAbsDiff(torchLogits, ortLogits));
        }
        foreach (var value in past.Concat(present)) value.Dispose();
        _output.WriteLine($"{configName}: prefill max abs diff {prefillDiff:E2}, 64-step decode max abs diff {decodeDiff:E2}");
        Assert.True(decodeDiff < Tolerance, $"decode max abs diff {decodeDiff}");
    }

    private static float TensorPrimitivesMax(ReadOnlySpan<float> row)
    {
        float max = float.NegativeInfinity;
        foreach (var v in row) max = Math.Max(max, v);
        return max;
    }

    private static List<OrtValue> EmptyPast(MoeTransformerConfig config, int batch) =>
        Enumerable.Range(0, 2 * config.NumHiddenLayers)
            .Select(_ => OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, [batch, config.NumKeyValueHeads, 0, config.HeadDim]))
            .ToList();

    private static (float[] Logits, List<OrtValue> Present) RunOrt(
        InferenceSession session, MoeTransformerConfig config, long[] ids, long[] mask, long[] positions, long[][] previous, int batch, int length, List<OrtValue> past)
    {
        var names = new List<string> { "input_ids", "attention_mask", "position_ids" };
        for (int d = 1; d <= previous.Length; d++) names.Add(d == 1 ? "previous_ids" : $"previous_ids_{d}");
        var outputs = new List<string> { "logits" };
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            names.Add($"past_key_values.{i}.key");
            names.Add($"past_key_values.{i}.value");
            outputs.Add($"present.{i}.key");
            outputs.Add($"present.{i}.value");
        }
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, [batch, length]);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, [batch, mask.Length / batch]);
        using var posValue = OrtValue.CreateTensorValueFromMemory(positions, [batch, length]);
        var previousValues = previous.Select(p => OrtValue.CreateTensorValueFromMemory(p, [batch, length])).ToArray();
        using var runOptions = new RunOptions();
        OrtValue[] inputs = [idsValue, maskValue, posValue, .. previousValues];
        var results = session.Run(runOptions, names, [.. inputs, .. past], outputs);
        foreach (var value in previousValues) value.Dispose();
        var list = results.ToList();
        var logits = list[0].GetTensorDataAsSpan<float>().ToArray();
        Assert.Equal([batch, length, config.VocabSize], list[0].GetTensorTypeAndShape().Shape);
        list[0].Dispose();
        return (logits, list.Skip(1).ToList());
    }

    private static double MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
        return max;
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Greedy_generations_of_OnnxPolicySession_and_PolicyGenerator_are_identical(string configName)
    {
        using var model = CreateModel(ConfigFor(configName), seed: 32);
        var path = ExportModel(model);
        using var session = new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = _dir });
        var generator = new PolicyGenerator(model, padTokenId: 0);
        var options = new SamplingOptions { Temperature = 0, MaxNewTokens = 64 };

        var expected = generator.Generate(s_prompts, options);
        var actual = session.Generate(s_prompts, options);
        AssertSame(expected, actual);
        Assert.All(actual, r => Assert.Equal(64, r.TokenIds.Length));

        // Per-row stop: stop on the 5th token row 0 produces; both engines stop each row at the same place.
        var stopOptions = new SamplingOptions { Temperature = 0, MaxNewTokens = 64, StopTokenIds = [expected[0].TokenIds[4]], StopSequences = [[expected[1].TokenIds[2], expected[1].TokenIds[3]]] };
        var expectedStop = generator.Generate(s_prompts, stopOptions);
        var actualStop = session.Generate(s_prompts, stopOptions);
        AssertSame(expectedStop, actualStop);
        Assert.Equal(FinishReason.Stop, actualStop[0].FinishReason);
        Assert.True(actualStop[0].TokenIds.Length <= 5);

        // Seeded sampling with temperature, top-k and top-p draws the same tokens from the same logits.
        var sampled = new SamplingOptions { Temperature = 0.9f, TopK = 20, TopP = 0.95f, MaxNewTokens = 32, Seed = 7 };
        AssertSame(generator.Generate(s_prompts, sampled), session.Generate(s_prompts, sampled));
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Later_turns_reuse_the_keys_and_values_of_earlier_calls_and_decode_the_same(string configName)
    {
        using var model = CreateModel(ConfigFor(configName), seed: 34);
        ExportModel(model);
        using var reusing = new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = _dir });
        using var plain = new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = _dir, PrefixCacheMegabytes = 0 });
        var generator = new PolicyGenerator(model, padTokenId: 0);
        var greedy = new SamplingOptions { Temperature = 0, MaxNewTokens = 12 };
        var sampled = new SamplingOptions { Temperature = 0.9f, TopK = 20, MaxNewTokens = 12, Seed = 5 };

        // Three turns of three conversations: each continues with its reply and a new message of its own length.
        IReadOnlyList<IReadOnlyList<int>> prompts = s_prompts;
        for (int turn = 0; turn < 3; turn++)
        {
            var options = turn == 1 ? sampled : greedy;
            var expected = generator.Generate(prompts, options);
            AssertSame(expected, plain.Generate(prompts, options));
            AssertSame(expected, reusing.Generate(prompts, options));
            prompts = prompts.Select((p, b) => (IReadOnlyList<int>)[.. p, .. expected[b].TokenIds, .. Enumerable.Range(50, 1 + 3 * b)]).ToArray();
        }
        Assert.Equal(0, plain.ReusedPromptTokens);
        Assert.Equal(plain.PromptTokens, reusing.PromptTokens);
        _output.WriteLine($"{configName}: {reusing.ReusedPromptTokens} of {reusing.PromptTokens} prompt tokens reused");
        Assert.True(reusing.ReusedPromptTokens > reusing.PromptTokens / 2, $"{reusing.ReusedPromptTokens} of {reusing.PromptTokens} reused");

        // A prompt sharing only its first four tokens with what was run before reuses those four.
        long before = reusing.ReusedPromptTokens;
        IReadOnlyList<int>[] branch = [[.. s_prompts[0].Take(4), 60, 61, 62]];
        AssertSame(generator.Generate(branch, greedy), reusing.Generate(branch, greedy));
        Assert.Equal(before + 4, reusing.ReusedPromptTokens);
    }

    private static void AssertSame(IReadOnlyList<GenerationResult> expected, IReadOnlyList<GenerationResult> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int b = 0; b < expected.Count; b++)
        {
            Assert.Equal(expected[b].TokenIds, actual[b].TokenIds);
            Assert.Equal(expected[b].FinishReason, actual[b].FinishReason);
            for (int i = 0; i < expected[b].LogProbs.Length; i++) Assert.Equal(expected[b].LogProbs[i], actual[b].LogProbs[i], Tolerance);
        }
    }

    [Fact]
    public void Concurrent_Generate_calls_on_one_session_equal_sequential_ones()
    {
        using var model = CreateModel(ZeroSharedGqa(), seed: 33);
        ExportModel(model);
        using var session = new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = _dir, IntraOpThreads = 1, PrefixCacheMegabytes = 0 });
        var jobs = Enumerable.Range(0, 8).Select(i => (Prompts: (IReadOnlyList<IReadOnlyList<int>>)[[1 + i, 2 + i, 3], [9, 8 + i]],
            Options: new SamplingOptions { Temperature = 1f, MaxNewTokens = 24, Seed = (ulong)i })).ToArray();
        var sequential = jobs.Select(j => session.Generate(j.Prompts, j.Options)).ToArray();
        var concurrent = new IReadOnlyList<GenerationResult>[jobs.Length];
        Parallel.For(0, jobs.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => concurrent[i] = session.Generate(jobs[i].Prompts, jobs[i].Options));
        for (int i = 0; i < jobs.Length; i++)
        {
            for (int b = 0; b < 2; b++)
            {
                Assert.Equal(sequential[i][b].TokenIds, concurrent[i][b].TokenIds);
                Assert.Equal(sequential[i][b].LogProbs, concurrent[i][b].LogProbs);
            }
        }

        // With prefix reuse, concurrent callers share the store (here every call can reuse the prompt [9] of another):
        // the same tokens, log-probabilities equal up to float rounding.
        using var reusing = new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = _dir, IntraOpThreads = 1 });
        Parallel.For(0, jobs.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => concurrent[i] = reusing.Generate(jobs[i].Prompts, jobs[i].Options));
        for (int i = 0; i < jobs.Length; i++) AssertSame(sequential[i], concurrent[i]);
    }

    [Fact]
    public void An_in_process_session_over_the_current_weights_decodes_like_the_model()
    {
        using var model = CreateModel(ZeroSharedGqa(), seed: 36);
        var options = new SamplingOptions { Temperature = 0, MaxNewTokens = 16 };
        using (var session = OnnxPolicyExporter.OpenSession(model, o => o.IntraOpThreads = 1, new OnnxExportOptions { Tokenizer = ByteLevelTokenizer.CreateDefault() }))
        {
            Assert.Equal(1, session.Options.IntraOpThreads);
            Assert.NotNull(session.Tokenizer);
            AssertSame(new PolicyGenerator(model, padTokenId: 0).Generate(s_prompts, options), session.Generate(s_prompts, options));
        }

        // A later session sees the weights as they are then.
        using (torch.no_grad()) model.parameters().First(p => p.shape.Length == 2).add_(0.5f);
        using var updated = OnnxPolicyExporter.OpenSession(model);
        AssertSame(new PolicyGenerator(model, padTokenId: 0).Generate(s_prompts, options), updated.Generate(s_prompts, options));
    }

    [Fact]
    public void Export_writes_atomically_with_metadata_and_sidecar_files()
    {
        using var model = CreateModel(ZeroSharedGqa(), seed: 34);
        var path = ExportModel(model);
        Assert.Equal(["config.json", "model.onnx", "tokenizer.json"], Directory.GetFiles(_dir).Select(f => Path.GetFileName(f)!).Order().ToArray());
        Assert.Equal(model.Config, MoeTransformerConfig.FromJson(File.ReadAllText(Path.Combine(_dir, "config.json"))));

        using var session = new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = path });
        Assert.Equal(model.Config.VocabSize, session.VocabularySize);
        Assert.Equal(model.Config.MaxPositionEmbeddings, session.MaxPositions);
        Assert.Equal(model.Config, MoeTransformerConfig.FromJson(session.Metadata[OnnxPolicyMetadata.ConfigJson]));
        Assert.NotNull(session.Tokenizer);
        Assert.Equal(257, session.Tokenizer!.VocabularySize);

        // Re-exporting over an existing file replaces it and leaves no temporary files.
        OnnxPolicyExporter.Export(model, path, new OnnxExportOptions { WriteSidecarFiles = false });
        Assert.Equal(3, Directory.GetFiles(_dir).Length);
    }

    [Fact]
    public void Missing_corrupt_or_foreign_model_files_raise_typed_errors()
    {
        Assert.Throws<FileNotFoundException>(() => new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = Path.Combine(_dir, "absent.onnx") }));
        Assert.Throws<FileNotFoundException>(() => new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = _dir }));

        using var model = CreateModel(ZeroSharedGqa(), seed: 35);
        var path = ExportModel(model);
        var bytes = File.ReadAllBytes(path);
        var truncated = Path.Combine(_dir, "truncated.onnx");
        File.WriteAllBytes(truncated, bytes.AsSpan(0, bytes.Length / 3).ToArray());
        var error = Assert.Throws<InvalidDataException>(() => new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = truncated }));
        Assert.Contains("not a valid ONNX model", error.Message);

        var garbage = Path.Combine(_dir, "garbage.onnx");
        File.WriteAllText(garbage, "this is not protobuf");
        Assert.Throws<InvalidDataException>(() => new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = garbage }));
    }

    [Fact]
    public void Cuda_requested_without_the_GPU_package_is_a_clear_NotSupportedException()
    {
        using var model = CreateModel(ZeroSharedGqa(), seed: 36);
        var path = ExportModel(model);
        var error = Assert.Throws<NotSupportedException>(() => new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = path, ExecutionProvider = OnnxExecutionProvider.Cuda }));
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu", error.Message);
        Assert.Contains("CUDA", error.Message);
    }

    [Fact]
    public void Cancellation_during_a_long_generation_stops_it()
    {
        var config = TinyModels.Config() with { HiddenSize = 128, NumHiddenLayers = 4, MaxPositionEmbeddings = 1024 };
        using var model = CreateModel(config, seed: 38);
        ExportModel(model);
        using var session = new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = _dir, IntraOpThreads = 1 });
        // Cancelled from a dedicated thread, not a timer: under parallel test load the thread pool ran the timer's
        // callback only after all 1,000 tokens were decoded (about 1 s), with 50 ms and even with 1 ms.
        using var cancellation = new CancellationTokenSource();
        var canceller = new Thread(() =>
        {
            Thread.Sleep(20);
            cancellation.Cancel();
        }) { IsBackground = true };
        var watch = System.Diagnostics.Stopwatch.StartNew();
        canceller.Start();
        Assert.ThrowsAny<OperationCanceledException>(() => session.Generate([[1, 2, 3], [4, 5]], new SamplingOptions { MaxNewTokens = 1000, Temperature = 0 }, cancellation.Token));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"cancellation took {watch.Elapsed}");
        canceller.Join();
    }

    [Fact]
    public void Cancelled_generation_throws_OperationCanceledException_and_bad_prompts_are_rejected()
    {
        using var model = CreateModel(ZeroSharedGqa(), seed: 37);
        ExportModel(model);
        using var session = new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = _dir });
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => session.Generate(s_prompts, new SamplingOptions { MaxNewTokens = 8 }, cancelled.Token));
        Assert.Throws<ArgumentException>(() => session.Generate([[]], new SamplingOptions()));
        Assert.Throws<ArgumentException>(() => session.Generate([[64]], new SamplingOptions()));
        Assert.Throws<ArgumentException>(() => session.Generate([Enumerable.Repeat(1, 128).ToArray()], new SamplingOptions()));
        Assert.Empty(session.Generate([], new SamplingOptions()));
        session.Dispose();
        Assert.Throws<ObjectDisposedException>(() => session.Generate(s_prompts, new SamplingOptions()));
    }
}
