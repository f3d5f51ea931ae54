using System.Globalization;
using System.Runtime.InteropServices;
using Agentic.Core.Generation;
using Agentic.Core.Randomness;
using Agentic.Core.Sampling;
using Agentic.Core.Tokenization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Agentic.Core.Inference;

/// <summary>
/// Token-in, token-out generation from an exported policy on ONNX Runtime: one <see cref="InferenceSession"/> per
/// model, a prefill pass over the left-padded prompts, then one incremental pass per token that feeds the previous
/// pass's <c>present.*</c> key/value tensors back as <c>past_key_values.*</c>.
/// </summary>
/// <remarks>
/// <para>
/// Semantics match the TorchSharp <c>PolicyGenerator</c> exactly: left padding with <see cref="OnnxPolicyOptions.PadTokenId"/>,
/// position ids counted over real tokens only, rows that stopped keep feeding the pad id, each row stops on its own
/// stop tokens or sequences, and log-probabilities come from <see cref="TokenSampler"/> with a
/// <see cref="DeterministicRandom"/> seeded from <see cref="SamplingOptions.Seed"/>.
/// </para>
/// <para>
/// Prefix reuse: after each call the session keeps every row's keys and values (prompt and fed continuation, see
/// <see cref="OnnxPolicyOptions.PrefixCacheMegabytes"/>); a later prompt that shares a start with a kept sequence runs
/// only the rest of its tokens on top of them. Keys and values at a position depend only on the tokens up to it, so the
/// result is the same computation; sums may be taken in another order, so log-probabilities can differ from a full
/// prefill in the last float bits (the tests and <c>agentic bench prefix</c> find the same tokens and outcomes).
/// </para>
/// <para>
/// Thread safety: <see cref="Generate"/> keeps all per-call state (inputs, KV cache values, run options, sampler) in
/// locals, the prefix store is locked, and <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/>
/// is safe to call concurrently, so one session serves any number of concurrent callers.
/// </para>
/// </remarks>
public sealed class OnnxPolicySession : ITokenGenerator, IDisposable
{
    /// <summary>The file name looked up when <see cref="OnnxPolicyOptions.ModelPath"/> is a folder.</summary>
    public const string DefaultModelFileName = "model.onnx";

    private readonly SessionOptions _sessionOptions;
    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly int _padTokenId;
    private readonly int _layers;
    private readonly int _kvHeads;
    private readonly int _headDim;
    /// <summary>How many previous-token inputs the graph takes: <c>previous_ids</c> (distance 1), <c>previous_ids_2</c>, ...</summary>
    private readonly int _previousWindow;
    private const string PreviousIdsInput = "previous_ids";
    private readonly PrefixKvStore? _prefixes;
    private long _promptTokens;
    private long _reusedTokens;
    private int _disposed;

    /// <summary>Loads the exported model and creates its session.</summary>
    /// <param name="options">Model path, execution provider and threads.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is invalid (see <see cref="OnnxPolicyOptions.Validate"/>).</exception>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid ONNX model or was not written by the policy exporter.</exception>
    /// <exception cref="NotSupportedException">
    /// CUDA was requested but the CUDA execution provider is not available (the application references the CPU native
    /// package, or the CUDA libraries are missing).
    /// </exception>
    public OnnxPolicySession(OnnxPolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ModelPath = ResolveModelPath(options.ModelPath);
        Options = options;
        _padTokenId = options.PadTokenId;

        _sessionOptions = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        try
        {
            if (options.IntraOpThreads > 0) _sessionOptions.IntraOpNumThreads = options.IntraOpThreads;
            if (options.ExecutionProvider == OnnxExecutionProvider.Cuda) AppendCuda(_sessionOptions, options.DeviceId);
            _session = CreateSession(ModelPath, _sessionOptions, options);
        }
        catch
        {
            _sessionOptions.Dispose();
            throw;
        }

        try
        {
            var meta = _session.ModelMetadata.CustomMetadataMap;
            Metadata = new Dictionary<string, string>(meta);
            if (!meta.TryGetValue(OnnxPolicyMetadata.Format, out var format) || format != OnnxPolicyMetadata.FormatValue)
            {
                throw new InvalidDataException($"'{ModelPath}' is an ONNX model but not an exported Agentic policy (metadata '{OnnxPolicyMetadata.Format}' is not '{OnnxPolicyMetadata.FormatValue}').");
            }
            _layers = ReadInt(meta, OnnxPolicyMetadata.NumLayers);
            _kvHeads = ReadInt(meta, OnnxPolicyMetadata.NumKeyValueHeads);
            _headDim = ReadInt(meta, OnnxPolicyMetadata.HeadDim);
            VocabularySize = ReadInt(meta, OnnxPolicyMetadata.VocabSize);
            MaxPositions = ReadInt(meta, OnnxPolicyMetadata.MaxPositions);
            if (_padTokenId >= VocabularySize) throw new ArgumentOutOfRangeException(nameof(options), _padTokenId, $"PadTokenId must be below the vocabulary size ({VocabularySize}).");
            if (meta.TryGetValue(OnnxPolicyMetadata.TokenizerJson, out var tokenizerJson)) Tokenizer = ByteLevelTokenizer.FromJson(tokenizerJson);

            var inputs = new List<string> { "input_ids", "attention_mask", "position_ids" };
            if (_session.InputNames.Contains(PreviousIdsInput))
            {
                inputs.Add(PreviousIdsInput);
                _previousWindow = 1;
                while (_session.InputNames.Contains(PreviousInputName(_previousWindow + 1))) inputs.Add(PreviousInputName(++_previousWindow));
            }
            var outputs = new List<string> { "logits" };
            for (int i = 0; i < _layers; i++)
            {
                inputs.Add($"past_key_values.{i}.key");
                inputs.Add($"past_key_values.{i}.value");
                outputs.Add($"present.{i}.key");
                outputs.Add($"present.{i}.value");
            }
            var missing = inputs.Except(_session.InputNames).Concat(outputs.Except(_session.OutputNames)).ToArray();
            if (missing.Length > 0) throw new InvalidDataException($"'{ModelPath}' lacks the graph inputs/outputs {string.Join(", ", missing)}.");
            _inputNames = [.. inputs];
            _outputNames = [.. outputs];
            if (options.PrefixCacheMegabytes > 0)
            {
                long bytesPerPosition = 2L * _layers * _kvHeads * _headDim * sizeof(float);
                _prefixes = new PrefixKvStore((int)Math.Min(int.MaxValue, options.PrefixCacheMegabytes * 1024L * 1024L / bytesPerPosition), _layers, _kvHeads, _headDim);
            }
        }
        catch
        {
            _session.Dispose();
            _sessionOptions.Dispose();
            throw;
        }
    }

    /// <summary>Gets the options the session was created with.</summary>
    public OnnxPolicyOptions Options { get; }

    /// <summary>Gets the full path of the loaded <c>.onnx</c> file.</summary>
    public string ModelPath { get; }

    /// <summary>Gets the model's <c>metadata_props</c> (see <see cref="OnnxPolicyMetadata"/> for the keys the exporter writes).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Gets the tokenizer stored with the model, or null when it was exported without one.</summary>
    public ByteLevelTokenizer? Tokenizer { get; }

    /// <inheritdoc />
    public int VocabularySize { get; }

    /// <summary>Gets the longest sequence (prompt plus generated tokens) the model accepts.</summary>
    public int MaxPositions { get; }

    /// <summary>Gets the number of prompt tokens of all <see cref="Generate"/> calls so far.</summary>
    public long PromptTokens => Interlocked.Read(ref _promptTokens);

    /// <summary>
    /// Gets how many of <see cref="PromptTokens"/> were not run again because their keys and values were kept from an
    /// earlier call (see <see cref="OnnxPolicyOptions.PrefixCacheMegabytes"/>).
    /// </summary>
    public long ReusedPromptTokens => Interlocked.Read(ref _reusedTokens);

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The session was disposed.</exception>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime failed while running the graph.</exception>
    public IReadOnlyList<GenerationResult> Generate(
        IReadOnlyList<IReadOnlyList<int>> prompts, SamplingOptions options, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var decoding = new DecodingBatch(prompts, options, VocabularySize, MaxPositions, _padTokenId);
        int batch = decoding.Size;
        if (batch == 0) return [];
        cancellationToken.ThrowIfCancellationRequested();

        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
        IDisposableReadOnlyCollection<OrtValue>? cache = null;
        var layout = PrefillLayout.Plan(prompts, decoding, _prefixes, _padTokenId);
        Interlocked.Add(ref _promptTokens, prompts.Sum(p => (long)p.Count));
        Interlocked.Add(ref _reusedTokens, layout.ReusedTokens);
        try
        {
            // The mask covers every column so far ([reused | new] columns, each part left-padded); the prefill runs the
            // last `length` columns on top of the reused keys and values of the first ones.
            var mask = layout.Mask;
            int total = layout.Width, length = layout.NewLength, start = total - length;
            // The previous-token inputs: the token d real positions before each position (the prompt, then every fed
            // token, pad ids of finished rows included), or "none" (vocab size) before the start and on padding.
            var sequences = _previousWindow > 0 ? prompts.Select(p => p.Select(t => (long)t).ToList()).ToArray() : null;
            long[][]? previous = sequences is not null ? new long[_previousWindow][] : null;
            if (previous is not null)
            {
                for (int d = 1; d <= _previousWindow; d++)
                {
                    var p = previous[d - 1] = new long[batch * length];
                    for (int b = 0; b < batch; b++)
                        for (int j = 0; j < length; j++)
                        {
                            long position = layout.NewPositions[b * length + j];
                            p[b * length + j] = mask[b * total + start + j] == 1 && position >= d ? sequences![b][(int)position - d] : VocabularySize;
                        }
                }
            }
            using (var past = layout.CreatePastValues(_layers, _kvHeads, _headDim))
                cache = RunStep(runOptions, layout.NewIds, mask, layout.NewPositions, previous, batch, length, past?.Values, decoding.Logits, cancellationToken);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var next = decoding.SampleStep();
                if (decoding.IsDone) break;

                // Every row (finished ones feed the pad id) appends one real position, as PolicyGenerator does.
                if (previous is not null)
                {
                    for (int b = 0; b < batch; b++) sequences![b].Add(next[b]);
                    for (int d = 1; d <= _previousWindow; d++)
                    {
                        var p = previous[d - 1] = new long[batch];
                        for (int b = 0; b < batch; b++)
                        {
                            int position = sequences![b].Count - 1;
                            p[b] = position >= d ? sequences[b][position - d] : VocabularySize;
                        }
                    }
                }
                total++;
                var stepMask = new long[batch * total];
                for (int b = 0; b < batch; b++)
                {
                    Array.Copy(mask, b * (total - 1), stepMask, b * total, total - 1);
                    stepMask[b * total + total - 1] = 1;
                }
                mask = stepMask;
                var step = RunStep(runOptions, next, mask, decoding.NextPositions(), previous, batch, 1, cache.Skip(1), decoding.Logits, cancellationToken);
                cache.Dispose();
                cache = step;
            }
            var results = decoding.Results();
            if (_prefixes is not null) StorePrefixes(prompts, results, cache, mask, batch, total);
            return results;
        }
        finally
        {
            cache?.Dispose();
        }
    }

    /// <summary>
    /// Stores each row's prompt and the continuation tokens that were fed back (all but the last sampled one) with their
    /// keys and values, read from the last pass's <c>present.*</c> outputs at the row's real positions.
    /// </summary>
    private void StorePrefixes(IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<GenerationResult> results,
        IDisposableReadOnlyCollection<OrtValue> present, long[] mask, int batch, int total)
    {
        var tensors = present.Skip(1).ToArray();
        int kvHeads = _kvHeads, headDim = _headDim;
        for (int b = 0; b < batch; b++)
        {
            int fed = Math.Max(results[b].TokenIds.Length - 1, 0);
            int n = prompts[b].Count + fed;
            var tokens = new int[n];
            for (int i = 0; i < prompts[b].Count; i++) tokens[i] = prompts[b][i];
            Array.Copy(results[b].TokenIds, 0, tokens, prompts[b].Count, fed);
            // The first n real positions of the row, in order.
            var columns = new int[n];
            for (int i = 0, k = 0; i < total && k < n; i++)
                if (mask[b * total + i] == 1) columns[k++] = i;
            var keys = new float[_layers][];
            var values = new float[_layers][];
            for (int layer = 0; layer < _layers; layer++)
            {
                keys[layer] = Gather(tensors[2 * layer].GetTensorDataAsSpan<float>(), b, columns, kvHeads, total, headDim);
                values[layer] = Gather(tensors[2 * layer + 1].GetTensorDataAsSpan<float>(), b, columns, kvHeads, total, headDim);
            }
            _prefixes!.Add(new PrefixKvStore.Entry(tokens, keys, values));
        }

        static float[] Gather(ReadOnlySpan<float> source, int row, int[] columns, int heads, int width, int dim)
        {
            var result = new float[heads * columns.Length * dim];
            for (int h = 0; h < heads; h++)
            {
                int from = ((row * heads) + h) * width;
                for (int k = 0; k < columns.Length; k++)
                    source.Slice((from + columns[k]) * dim, dim).CopyTo(result.AsSpan(((h * columns.Length) + k) * dim, dim));
            }
            return result;
        }
    }

    private static string PreviousInputName(int distance) =>
        distance == 1 ? PreviousIdsInput : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{PreviousIdsInput}_{distance}");

    /// <summary>
    /// Runs one pass; returns all outputs (logits first, then present key/values) and copies the last position's logits
    /// of every row into <paramref name="lastLogits"/>.
    /// </summary>
    private IDisposableReadOnlyCollection<OrtValue> RunStep(
        RunOptions runOptions, long[] ids, long[] mask, long[] positions, long[][]? previous, int batch, int length,
        IEnumerable<OrtValue>? past, float[] lastLogits, CancellationToken cancellationToken)
    {
        long total = mask.Length / batch;
        var inputs = new List<OrtValue>(_inputNames.Length);
        var owned = new List<OrtValue>(3 + 2 * _layers);
        try
        {
            owned.Add(OrtValue.CreateTensorValueFromMemory(ids, [batch, length]));
            owned.Add(OrtValue.CreateTensorValueFromMemory(mask, [batch, total]));
            owned.Add(OrtValue.CreateTensorValueFromMemory(positions, [batch, length]));
            if (previous is not null)
                foreach (var p in previous) owned.Add(OrtValue.CreateTensorValueFromMemory(p, [batch, length]));
            inputs.AddRange(owned);
            if (past is null)
            {
                for (int i = 0; i < 2 * _layers; i++)
                {
                    var empty = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, [batch, _kvHeads, 0, _headDim]);
                    owned.Add(empty);
                    inputs.Add(empty);
                }
            }
            else
            {
                inputs.AddRange(past);
            }

            IDisposableReadOnlyCollection<OrtValue> outputs;
            try
            {
                outputs = _session.Run(runOptions, _inputNames, inputs, _outputNames);
            }
            catch (OnnxRuntimeException ex) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("Generation was cancelled while ONNX Runtime was running.", ex, cancellationToken);
            }

            var data = outputs.First().GetTensorDataAsSpan<float>();
            int vocab = VocabularySize;
            for (int b = 0; b < batch; b++)
            {
                data.Slice(((b * length) + length - 1) * vocab, vocab).CopyTo(lastLogits.AsSpan(b * vocab, vocab));
            }
            return outputs;
        }
        finally
        {
            foreach (var value in owned) value.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _session.Dispose();
        _sessionOptions.Dispose();
    }

    private static string ResolveModelPath(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) full = Path.Combine(full, DefaultModelFileName);
        if (!File.Exists(full)) throw new FileNotFoundException($"No exported policy at '{full}'. Export one with 'agentic export-onnx --checkpoint DIR'.", full);
        return full;
    }

    private static void AppendCuda(SessionOptions sessionOptions, int deviceId)
    {
        try
        {
            sessionOptions.AppendExecutionProvider_CUDA(deviceId);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException or OnnxRuntimeException)
        {
            throw CudaUnavailable(ex);
        }
    }

    private static NotSupportedException CudaUnavailable(Exception inner) => new(
        "The CUDA execution provider is not available. Reference the Microsoft.ML.OnnxRuntime.Gpu package (instead of " +
        "Microsoft.ML.OnnxRuntime) and make the CUDA 12/13 and cuDNN libraries it was built for loadable, or use " +
        $"OnnxExecutionProvider.Cpu. ({inner.GetType().Name}: {inner.Message})", inner);

    private static InferenceSession CreateSession(string path, SessionOptions sessionOptions, OnnxPolicyOptions options)
    {
        try
        {
            return new InferenceSession(path, sessionOptions);
        }
        catch (OnnxRuntimeException ex) when (options.ExecutionProvider == OnnxExecutionProvider.Cuda && ex.Message.Contains("CUDA", StringComparison.OrdinalIgnoreCase))
        {
            throw CudaUnavailable(ex);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidDataException($"'{path}' is not a valid ONNX model: {ex.Message}", ex);
        }
    }

    private int ReadInt(IReadOnlyDictionary<string, string> meta, string key) =>
        meta.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new InvalidDataException($"'{ModelPath}' lacks a positive integer metadata entry '{key}'.");
}
