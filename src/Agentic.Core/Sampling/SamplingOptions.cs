namespace Agentic.Core.Sampling;

/// <summary>
/// How the next token is chosen from a model's logits, and when generation stops. The names follow
/// <c>Microsoft.Extensions.AI.ChatOptions</c> (Temperature, TopP, TopK, Seed), with stops expressed as token ids.
/// </summary>
/// <remarks>
/// Properties are set at initialization and checked by <see cref="Validate"/>, which <see cref="TokenSampler"/> and
/// <see cref="StopSequenceMatcher"/> call on construction.
/// </remarks>
public sealed class SamplingOptions
{
    /// <summary>Gets the softmax temperature; 0 means greedy decoding (argmax). Must be finite and non-negative. Default 1.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>
    /// Gets the nucleus (top-p) mass: only the smallest set of most probable tokens whose cumulative probability reaches
    /// this value is kept. Must be in (0, 1]; 1 disables the filter. Default 1.
    /// </summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Gets the number of most probable tokens kept before sampling; 0 disables the filter. Must be non-negative. Default 0.</summary>
    public int TopK { get; init; }

    /// <summary>Gets the maximum number of tokens to generate per completion. Must be positive. Default 256.</summary>
    public int MaxNewTokens { get; init; } = 256;

    /// <summary>Gets the token ids that end generation when emitted (for example the end-of-turn token). Default none.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>
    /// Gets the token-id sequences that end generation when the output ends with one of them. Matching is done on ids,
    /// never on decoded text. Each sequence must be non-empty. Default none.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<int>> StopSequences { get; init; } = [];

    /// <summary>
    /// Gets the seed for the generator that drives sampling (see <see cref="Randomness.DeterministicRandom"/>), or
    /// <see langword="null"/> to let the caller choose. Default <see langword="null"/>.
    /// </summary>
    public ulong? Seed { get; init; }

    /// <summary>Checks every property and throws on the first invalid one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <see cref="Temperature"/> is negative or not finite; <see cref="TopP"/> is not in (0, 1]; <see cref="TopK"/> is
    /// negative; <see cref="MaxNewTokens"/> is not positive; a stop token id is negative; or a stop sequence is empty or
    /// contains a negative id.
    /// </exception>
    /// <exception cref="ArgumentNullException"><see cref="StopTokenIds"/>, <see cref="StopSequences"/> or one of the sequences is <see langword="null"/>.</exception>
    public void Validate()
    {
        if (!float.IsFinite(Temperature) || Temperature < 0f)
        {
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be a finite value >= 0 (0 means greedy decoding).");
        }

        if (!(TopP > 0f && TopP <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "TopP must be in (0, 1]; use 1 to disable nucleus sampling.");
        }

        if (TopK < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK must be >= 0; use 0 to disable top-k filtering.");
        }

        if (MaxNewTokens <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "MaxNewTokens must be > 0.");
        }

        ArgumentNullException.ThrowIfNull(StopTokenIds, nameof(StopTokenIds));
        for (int i = 0; i < StopTokenIds.Count; i++)
        {
            if (StopTokenIds[i] < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(StopTokenIds), StopTokenIds[i], $"StopTokenIds[{i}] is negative; token ids must be >= 0.");
            }
        }

        ArgumentNullException.ThrowIfNull(StopSequences, nameof(StopSequences));
        for (int i = 0; i < StopSequences.Count; i++)
        {
            IReadOnlyList<int> sequence = StopSequences[i] ?? throw new ArgumentNullException(nameof(StopSequences), $"StopSequences[{i}] is null.");
            if (sequence.Count == 0)
            {
                throw new ArgumentOutOfRangeException(nameof(StopSequences), $"StopSequences[{i}] is empty; a stop sequence needs at least one token id.");
            }

            for (int j = 0; j < sequence.Count; j++)
            {
                if (sequence[j] < 0)
                {
                    throw new ArgumentOutOfRangeException(nameof(StopSequences), sequence[j], $"StopSequences[{i}][{j}] is negative; token ids must be >= 0.");
                }
            }
        }
    }
}
