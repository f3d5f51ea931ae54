namespace Agentic.Rl.Training;

/// <summary>
/// One sequence to learn from by policy gradient: the token ids of a whole (multi-turn) episode, the mask of the
/// tokens the policy sampled (only those carry loss; prompts, tool results, documents and user turns do not), the
/// log-probability the rollout engine gave each sampled token, and the sequence's advantage.
/// </summary>
/// <param name="TokenIds">All token ids of the episode.</param>
/// <param name="LossMask">True exactly on the policy's sampled tokens; same length as <paramref name="TokenIds"/>.</param>
/// <param name="LogProbs">Sampling log-probabilities (0 where the mask is false); same length.</param>
/// <param name="Advantage">The sequence's advantage.</param>
public sealed record PolicySample(int[] TokenIds, bool[] LossMask, float[] LogProbs, double Advantage)
{
    /// <summary>
    /// Optional per-token advantages (index <c>t</c> is token <c>t</c>; same length as <see cref="TokenIds"/>) that
    /// replace <see cref="Advantage"/> on each token, for token-level credit such as <see cref="Advantages.PrefixTreeCredit"/>.
    /// Null: <see cref="Advantage"/> on every token.
    /// </summary>
    public float[]? TokenAdvantages { get; init; }

    /// <summary>The advantage of token <paramref name="t"/>.</summary>
    public double AdvantageAt(int t) => TokenAdvantages is { } a ? a[t] : Advantage;

    /// <summary>Number of tokens that carry loss.</summary>
    public int LossTokens => LossMask.Count(m => m);

    /// <summary>Checks lengths and values; throws <see cref="ArgumentException"/> for a malformed sample.</summary>
    public void Validate()
    {
        if (TokenIds is null || LossMask is null || LogProbs is null) throw new ArgumentException("A policy sample needs token ids, a loss mask and log-probs.");
        if (TokenIds.Length != LossMask.Length || TokenIds.Length != LogProbs.Length)
            throw new ArgumentException($"Token ids ({TokenIds.Length}), loss mask ({LossMask.Length}) and log-probs ({LogProbs.Length}) differ in length.");
        if (TokenIds.Length < 2) throw new ArgumentException("A policy sample needs at least two tokens.");
        if (LossMask[0]) throw new ArgumentException("The first token cannot carry loss (nothing predicts it).");
        if (!double.IsFinite(Advantage)) throw new ArgumentException($"The advantage is not finite ({Advantage}).");
        if (TokenAdvantages is { } tokens)
        {
            if (tokens.Length != TokenIds.Length) throw new ArgumentException($"Token advantages ({tokens.Length}) and token ids ({TokenIds.Length}) differ in length.");
            for (int t = 0; t < tokens.Length; t++)
            {
                if (!float.IsFinite(tokens[t])) throw new ArgumentException($"The advantage of token {t} is not finite ({tokens[t]}).");
            }
        }
    }
}
