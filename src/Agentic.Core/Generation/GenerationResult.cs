namespace Agentic.Core.Generation;

/// <summary>Why a generated sequence ended.</summary>
public enum FinishReason
{
    /// <summary>A stop token or stop sequence was produced (it is included in the output).</summary>
    Stop,

    /// <summary>The token budget (<see cref="Sampling.SamplingOptions.MaxNewTokens"/> or the model's context) was reached.</summary>
    Length,
}

/// <summary>One generated continuation: the sampled ids, their log-probabilities and why generation ended.</summary>
/// <param name="TokenIds">The new token ids, including the stop token or stop sequence that ended generation.</param>
/// <param name="LogProbs">
/// For each new token, <c>log_softmax(logits / T)[token]</c> under the policy that sampled it (see
/// <see cref="Sampling.TokenSampler"/>); the quantity an RL trainer recomputes.
/// </param>
/// <param name="FinishReason">Why generation ended.</param>
public sealed record GenerationResult(int[] TokenIds, float[] LogProbs, FinishReason FinishReason);
