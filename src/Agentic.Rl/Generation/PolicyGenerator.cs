using Agentic.Core.Generation;
using Agentic.Core.Randomness;
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
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (prompts.Count == 0) return [];
        var vocab = _model.Config.VocabSize;
        int batch = prompts.Count;
        int promptLength = 0;
        foreach (var p in prompts)
        {
            if (p.Count == 0) throw new ArgumentException("Prompts must not be empty.", nameof(prompts));
            foreach (var id in p)
            {
                if ((uint)id >= (uint)vocab) throw new ArgumentException($"Token id {id} is outside the vocabulary (size {vocab}).", nameof(prompts));
            }
            promptLength = Math.Max(promptLength, p.Count);
        }
        int maxNew = Math.Min(options.MaxNewTokens, _model.Config.MaxPositionEmbeddings - promptLength);
        if (maxNew <= 0)
        {
            throw new ArgumentException($"A prompt of {promptLength} tokens leaves no room under max_position_embeddings ({_model.Config.MaxPositionEmbeddings}).", nameof(prompts));
        }

        var ids = new long[batch * promptLength];
        var mask = new long[batch * promptLength];
        for (int b = 0; b < batch; b++)
        {
            var p = prompts[b];
            int offset = promptLength - p.Count;
            for (int i = 0; i < promptLength; i++)
            {
                ids[b * promptLength + i] = i < offset ? _padTokenId : p[i - offset];
                mask[b * promptLength + i] = i < offset ? 0 : 1;
            }
        }

        var random = new DeterministicRandom(options.Seed ?? (ulong)System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue));
        var sampler = new TokenSampler(options);
        var matcher = new StopSequenceMatcher(options);
        var generated = Enumerable.Range(0, batch).Select(_ => new List<int>()).ToArray();
        var logProbs = Enumerable.Range(0, batch).Select(_ => new List<float>()).ToArray();
        var finished = new FinishReason?[batch];
        var logits = new float[batch * vocab];
        var stepIds = new long[batch];
        int active = batch;

        bool wasTraining = _model.training;
        _model.eval();
        try
        {
            using var noGrad = no_grad();
            using var cache = new KvCache(_model.Config.NumHiddenLayers);
            var attention = tensor(mask, [batch, promptLength]).DetachFromDisposeScope();
            try
            {
                using (var scope = NewDisposeScope())
                {
                    using var input = tensor(ids, [batch, promptLength]);
                    var output = _model.forward(new CausalLMInput(input, attention, Cache: cache));
                    CopyLastLogits(output.Logits, logits);
                }

                for (int step = 0; step < maxNew && active > 0; step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    for (int b = 0; b < batch; b++)
                    {
                        if (finished[b] is not null)
                        {
                            stepIds[b] = _padTokenId;
                            continue;
                        }
                        var token = sampler.Sample(logits.AsSpan(b * vocab, vocab), random);
                        generated[b].Add(token.TokenId);
                        logProbs[b].Add(token.LogProb);
                        stepIds[b] = token.TokenId;
                        if (matcher.IsStop(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(generated[b]), out _))
                        {
                            finished[b] = FinishReason.Stop;
                            active--;
                        }
                    }
                    if (active == 0 || step == maxNew - 1) break;

                    using var scope = NewDisposeScope();
                    var next = attention;
                    attention = cat([attention, ones(batch, 1, dtype: int64)], 1).DetachFromDisposeScope();
                    next.Dispose();
                    using var input = tensor(stepIds, [batch, 1]);
                    var output = _model.forward(new CausalLMInput(input, attention, Cache: cache));
                    CopyLastLogits(output.Logits, logits);
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

        var results = new GenerationResult[batch];
        for (int b = 0; b < batch; b++)
        {
            results[b] = new GenerationResult(generated[b].ToArray(), logProbs[b].ToArray(), finished[b] ?? FinishReason.Length);
        }
        return results;
    }

    private static void CopyLastLogits(Tensor logits, float[] destination)
    {
        // Non-finite logits are rejected by the sampler with a typed error.
        using var last = logits[.., -1, ..].contiguous().to(float32);
        last.data<float>().CopyTo(destination, 0);
    }
}
