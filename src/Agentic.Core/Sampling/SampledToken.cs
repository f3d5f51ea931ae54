namespace Agentic.Core.Sampling;

/// <summary>A token chosen by <see cref="TokenSampler"/> together with its log-probability under the sampling policy.</summary>
/// <param name="TokenId">The vocabulary index of the token.</param>
/// <param name="LogProb">
/// <c>log_softmax(logits / T)[TokenId]</c> over the full vocabulary, before top-k and top-p truncation (T = 1 when
/// greedy). This is the quantity an RL trainer recomputes from the same logits.
/// </param>
public readonly record struct SampledToken(int TokenId, float LogProb);
