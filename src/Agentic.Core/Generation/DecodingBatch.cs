using System.Runtime.InteropServices;
using Agentic.Core.Randomness;
using Agentic.Core.Sampling;

namespace Agentic.Core.Generation;

/// <summary>
/// The engine-independent part of batched, token-in token-out decoding, shared by every <see cref="ITokenGenerator"/>:
/// validates and left-pads the prompts, samples each unfinished row from a logits buffer the engine fills, stops rows
/// on their stop tokens or sequences, and assembles the <see cref="GenerationResult"/>s.
/// </summary>
/// <remarks>
/// An engine runs the prefill on <see cref="PromptIds"/>/<see cref="PromptMask"/>/<see cref="PromptPositions"/>, copies
/// each row's last logits into <see cref="Logits"/>, then loops: <see cref="SampleStep"/>; stop when
/// <see cref="IsDone"/>; otherwise run one step on the returned ids (finished rows feed the pad id) at
/// <see cref="NextPositions"/> with one more real position per row, and fill <see cref="Logits"/> again.
/// </remarks>
public sealed class DecodingBatch
{
    private readonly int _vocabularySize;
    private readonly int _padTokenId;
    private readonly DeterministicRandom _random;
    private readonly TokenSampler _sampler;
    private readonly StopSequenceMatcher _matcher;
    private readonly List<int>[] _generated;
    private readonly List<float>[] _logProbs;
    private readonly FinishReason?[] _finished;
    private readonly long[] _realTokens;
    private readonly long[] _stepIds;
    private int _active;
    private int _steps;

    /// <summary>Validates and lays out a batch.</summary>
    /// <param name="prompts">Token ids of each prompt (non-empty).</param>
    /// <param name="options">Sampling options (validated here).</param>
    /// <param name="vocabularySize">Ids must lie in [0, vocabularySize).</param>
    /// <param name="maxPositions">The model's context length: prompt plus new tokens must fit.</param>
    /// <param name="padTokenId">The id that fills left padding and the steps of finished rows.</param>
    /// <exception cref="ArgumentException">A prompt is empty, has an id outside the vocabulary, or leaves no room.</exception>
    public DecodingBatch(IReadOnlyList<IReadOnlyList<int>> prompts, SamplingOptions options, int vocabularySize, int maxPositions, int padTokenId)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _vocabularySize = vocabularySize;
        _padTokenId = padTokenId;
        Size = prompts.Count;
        foreach (var p in prompts)
        {
            if (p is null || p.Count == 0) throw new ArgumentException("Prompts must not be empty.", nameof(prompts));
            foreach (var id in p)
            {
                if ((uint)id >= (uint)vocabularySize) throw new ArgumentException($"Token id {id} is outside the vocabulary (size {vocabularySize}).", nameof(prompts));
            }
            PromptLength = Math.Max(PromptLength, p.Count);
        }
        MaxNewTokens = Math.Min(options.MaxNewTokens, maxPositions - PromptLength);
        if (Size > 0 && MaxNewTokens <= 0)
        {
            throw new ArgumentException($"A prompt of {PromptLength} tokens leaves no room under max_position_embeddings ({maxPositions}).", nameof(prompts));
        }

        // Left padding; positions count real tokens only (padding sits at position 0).
        PromptIds = new long[Size * PromptLength];
        PromptMask = new long[Size * PromptLength];
        PromptPositions = new long[Size * PromptLength];
        _realTokens = new long[Size];
        for (int b = 0; b < Size; b++)
        {
            var p = prompts[b];
            int offset = PromptLength - p.Count;
            for (int i = 0; i < PromptLength; i++)
            {
                bool real = i >= offset;
                int o = b * PromptLength + i;
                PromptIds[o] = real ? p[i - offset] : padTokenId;
                PromptMask[o] = real ? 1 : 0;
                if (real) _realTokens[b]++;
                PromptPositions[o] = Math.Max(_realTokens[b] - 1, 0);
            }
        }

        _random = new DeterministicRandom(options.Seed ?? (ulong)System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue));
        _sampler = new TokenSampler(options);
        _matcher = new StopSequenceMatcher(options);
        _generated = Enumerable.Range(0, Size).Select(_ => new List<int>()).ToArray();
        _logProbs = Enumerable.Range(0, Size).Select(_ => new List<float>()).ToArray();
        _finished = new FinishReason?[Size];
        _stepIds = new long[Size];
        _active = Size;
        Logits = new float[Size * vocabularySize];
    }

    /// <summary>Number of prompts.</summary>
    public int Size { get; }

    /// <summary>Length of the padded prompts.</summary>
    public int PromptLength { get; }

    /// <summary>Most tokens each row may generate (the request, bounded by the context).</summary>
    public int MaxNewTokens { get; }

    /// <summary>Left-padded prompt ids, [Size, PromptLength] row-major.</summary>
    public long[] PromptIds { get; }

    /// <summary>Validity of the prompt positions (1 real, 0 padding), [Size, PromptLength].</summary>
    public long[] PromptMask { get; }

    /// <summary>Position ids of the prompt (counting real tokens only), [Size, PromptLength].</summary>
    public long[] PromptPositions { get; }

    /// <summary>The buffer the engine fills with each row's next-token logits, [Size, vocabulary].</summary>
    public float[] Logits { get; }

    /// <summary>Whether every row has stopped or reached <see cref="MaxNewTokens"/>.</summary>
    public bool IsDone => _active == 0 || _steps >= MaxNewTokens;

    /// <summary>
    /// Samples the next token of every unfinished row from <see cref="Logits"/>; returns the ids to feed the next step
    /// (the pad id for finished rows). Rows draw from one seeded stream in row order.
    /// </summary>
    /// <exception cref="ArgumentException">A row of logits is not finite (bad model output).</exception>
    public long[] SampleStep()
    {
        for (int b = 0; b < Size; b++)
        {
            if (_finished[b] is not null)
            {
                _stepIds[b] = _padTokenId;
                continue;
            }
            var token = _sampler.Sample(Logits.AsSpan(b * _vocabularySize, _vocabularySize), _random);
            _generated[b].Add(token.TokenId);
            _logProbs[b].Add(token.LogProb);
            _stepIds[b] = token.TokenId;
            if (_matcher.IsStop(CollectionsMarshal.AsSpan(_generated[b]), out _))
            {
                _finished[b] = FinishReason.Stop;
                _active--;
            }
        }
        _steps++;
        return _stepIds;
    }

    /// <summary>Whether <paramref name="row"/> has stopped (an engine may drop it from its batch; its logits are no longer read).</summary>
    /// <param name="row">The row, in prompt order.</param>
    public bool IsFinished(int row) => _finished[row] is not null;

    /// <summary>Position ids of the next step's token in every row; each call advances every row by one position.</summary>
    public long[] NextPositions()
    {
        var positions = new long[Size];
        for (int b = 0; b < Size; b++) positions[b] = _realTokens[b]++;
        return positions;
    }

    /// <summary>The continuations sampled so far, in prompt order.</summary>
    public IReadOnlyList<GenerationResult> Results() =>
        Enumerable.Range(0, Size).Select(b => new GenerationResult([.. _generated[b]], [.. _logProbs[b]], _finished[b] ?? FinishReason.Length)).ToArray();
}
