using Agentic.Core.Generation;
using Agentic.Core.Sampling;
using Agentic.Rl.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Agentic.Rl.Generation;

/// <summary>
/// Batched, token-in token-out sampling from a <see cref="MoeCausalLM"/> with a KV cache. Prompts of different
/// lengths are left-padded and masked; each row stops independently on its stop tokens or sequences; the result
/// carries the ids and per-token log-probabilities, so callers continue sequences without decoding text.
/// </summary>
/// <remarks>Not thread-safe: one generator drives one model at a time.</remarks>
public sealed class PolicyGenerator : ITokenGenerator
{
    private readonly MoeCausalLM _model;
    private readonly int _padTokenId;

    /// <summary>Creates a generator for <paramref name="model"/>; <paramref name="padTokenId"/> fills left padding.</summary>
    public PolicyGenerator(MoeCausalLM model, int padTokenId)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegative(padTokenId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(padTokenId, model.Config.VocabSize);
        _model = model;
        _padTokenId = padTokenId;
    }

    /// <inheritdoc />
    public int VocabularySize => _model.Config.VocabSize;

    /// <inheritdoc />
    public IReadOnlyList<GenerationResult> Generate(
        IReadOnlyList<IReadOnlyList<int>> prompts, SamplingOptions options, CancellationToken cancellationToken = default)
    {
        var decoding = new DecodingBatch(prompts, options, _model.Config.VocabSize, _model.Config.MaxPositionEmbeddings, _padTokenId);
        int batch = decoding.Size;
        if (batch == 0) return [];

        bool wasTraining = _model.training;
        _model.eval();
        try
        {
            using var noGrad = no_grad();
            using var cache = new KvCache(_model.Config.NumHiddenLayers);
            // Positions come from the mask inside the model (real tokens only), as DecodingBatch lays them out.
            var attention = tensor(decoding.PromptMask, [batch, decoding.PromptLength]).DetachFromDisposeScope();
            try
            {
                using (var scope = NewDisposeScope())
                {
                    using var input = tensor(decoding.PromptIds, [batch, decoding.PromptLength]);
                    var output = _model.forward(new CausalLMInput(input, attention, Cache: cache) { LastPositionLogitsOnly = true });
                    CopyLastLogits(output.Logits, decoding.Logits, [.. Enumerable.Range(0, batch)], _model.Config.VocabSize);
                }

                // Rows that finished are dropped from the batch (and from the KV cache), so a few long continuations
                // do not keep the whole batch decoding; the sampler still sees every row in prompt order.
                int[] rows = [.. Enumerable.Range(0, batch)];
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var next = decoding.SampleStep();
                    if (decoding.IsDone) break;

                    using var scope = NewDisposeScope();
                    // Positions (in the current batch) of the rows still running.
                    long[] keep = [.. Enumerable.Range(0, rows.Length).Where(i => !decoding.IsFinished(rows[i])).Select(i => (long)i)];
                    if (keep.Length < rows.Length)
                    {
                        using var index = tensor(keep, [keep.Length]);
                        cache.SelectRows(index);
                        var kept = attention.index_select(0, index).DetachFromDisposeScope();
                        attention.Dispose();
                        attention = kept;
                        rows = [.. keep.Select(i => rows[i])];
                    }
                    var previous = attention;
                    attention = cat([attention, ones(rows.Length, 1, dtype: int64)], 1).DetachFromDisposeScope();
                    previous.Dispose();
                    using var input = tensor(rows.Select(r => next[r]).ToArray(), [rows.Length, 1]);
                    var output = _model.forward(new CausalLMInput(input, attention, Cache: cache));
                    CopyLastLogits(output.Logits, decoding.Logits, rows, _model.Config.VocabSize);
                }
            }
            finally
            {
                attention.Dispose();
            }
        }
        finally
        {
            _model.train(wasTraining);
        }
        return decoding.Results();
    }

    private static void CopyLastLogits(Tensor logits, float[] destination, int[] rows, int vocabulary)
    {
        // Non-finite logits are rejected by the sampler with a typed error.
        using var last = logits[.., -1, ..].contiguous().to(float32);
        var values = last.data<float>().ToArray();
        for (int i = 0; i < rows.Length; i++) Array.Copy(values, i * vocabulary, destination, rows[i] * vocabulary, vocabulary);
    }
}
