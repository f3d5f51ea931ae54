using Agentic.Rl.Modeling;
using static TorchSharp.torch;

namespace Agentic.Rl.Losses;

/// <summary>The inputs of a policy loss, per token of a padded batch ([batch, positions]).</summary>
/// <param name="LogProbs">Log-probabilities of the sampled tokens under the policy being trained (with gradient).</param>
/// <param name="OldLogProbs">Log-probabilities under the policy that is being improved on (the behaviour policy).</param>
/// <param name="Advantages">Per-token advantages (a sequence's advantage broadcast over its tokens).</param>
/// <param name="Mask">1 on tokens that carry loss (the policy's own tokens), 0 elsewhere (prompt, tool results, padding).</param>
/// <param name="ImportanceWeights">Optional per-token weights (truncated importance sampling), without gradient.</param>
/// <param name="ReferenceLogProbs">Optional log-probabilities under the frozen reference policy (for the KL term).</param>
/// <param name="Entropy">Optional per-token entropy of the policy (for the entropy bonus).</param>
public sealed record PolicyLossInput(
    Tensor LogProbs, Tensor OldLogProbs, Tensor Advantages, Tensor Mask,
    Tensor? ImportanceWeights = null, Tensor? ReferenceLogProbs = null, Tensor? Entropy = null);

/// <summary>A policy loss and its diagnostics.</summary>
/// <param name="Loss">The scalar loss to back-propagate (already divided by <c>normalizer</c>).</param>
/// <param name="ClippedTokens">Loss tokens whose ratio was clipped (the clipped branch was active).</param>
/// <param name="KlSum">Sum of the per-token KL estimate over loss tokens (0 without a reference).</param>
/// <param name="EntropySum">Sum of the per-token entropy over loss tokens (0 without entropy).</param>
/// <param name="RatioSum">Sum of the importance ratios over loss tokens.</param>
public sealed record PolicyLossOutput(Tensor Loss, double ClippedTokens, double KlSum, double EntropySum, double RatioSum);

/// <summary>
/// The PPO clipped surrogate with asymmetric bounds (DAPO's clip-higher), as used by GRPO and DAPO:
/// per token, <c>max(-A r, -A clip(r, 1 - ClipLow, 1 + ClipHigh))</c> with <c>r = exp(log p - log p_old)</c>, optionally
/// weighted by truncated importance weights, plus a KL penalty to a reference (k1 or k3) and minus an entropy bonus.
/// Subclass and override <see cref="TokenLoss"/> for another surrogate.
/// </summary>
public class ClippedPolicyLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="options">Options; null for the defaults.</param>
    public ClippedPolicyLoss(PolicyLossOptions? options = null)
    {
        Options = options ?? new PolicyLossOptions();
        Options.Validate();
    }

    /// <summary>The loss's options.</summary>
    public PolicyLossOptions Options { get; }

    /// <summary>Computes the loss of a (micro-)batch.</summary>
    /// <param name="input">The per-token tensors.</param>
    /// <param name="normalizer">
    /// Per-token divisor: for <see cref="LossAggregation.TokenMean"/>, the number of loss tokens of the whole batch
    /// (so micro-batches add up to the batch mean); for <see cref="LossAggregation.SequenceMean"/>, pass each
    /// sequence's loss-token count broadcast over its tokens times the number of sequences of the batch.
    /// </param>
    public PolicyLossOutput Compute(PolicyLossInput input, Tensor normalizer)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(normalizer);
        var mask = input.Mask;
        var ratio = exp(input.LogProbs.Minus(input.OldLogProbs));
        var (loss, clipped) = TokenLoss(ratio, input.Advantages);
        if (input.ImportanceWeights is { } weights) loss = loss * weights;
        double klSum = 0, entropySum = 0;
        if (Options.KlCoefficient > 0 && input.ReferenceLogProbs is { } reference)
        {
            var logRatio = reference.Minus(input.LogProbs);
            var kl = Options.KlEstimator == KlEstimator.K1 ? -logRatio : exp(logRatio).Minus(logRatio).Plus(-1);
            loss = loss.Plus(kl.Times(Options.KlCoefficient));
            klSum = (kl.detach() * mask).sum().item<float>();
        }
        if (input.Entropy is { } entropy)
        {
            if (Options.EntropyCoefficient > 0) loss = loss.Minus(entropy.Times(Options.EntropyCoefficient));
            entropySum = (entropy.detach() * mask).sum().item<float>();
        }

        var total = (loss * mask / normalizer).sum();
        double clippedTokens = (clipped * mask).sum().item<float>();
        double ratioSum = (ratio.detach() * mask).sum().item<float>();
        return new PolicyLossOutput(total, clippedTokens, klSum, entropySum, ratioSum);
    }

    /// <summary>The per-token surrogate loss and a 0/1 tensor marking tokens where clipping was active.</summary>
    /// <param name="ratio">Importance ratios (with gradient).</param>
    /// <param name="advantages">Per-token advantages.</param>
    protected virtual (Tensor Loss, Tensor Clipped) TokenLoss(Tensor ratio, Tensor advantages)
    {
        ArgumentNullException.ThrowIfNull(ratio);
        ArgumentNullException.ThrowIfNull(advantages);
        var unclipped = -advantages * ratio;
        var clippedRatio = ratio.clamp(Scalars.Of(1 - Options.ClipLow), Scalars.Of(1 + Options.ClipHigh));
        var clippedLoss = -advantages * clippedRatio;
        var loss = maximum(unclipped, clippedLoss);
        var active = (clippedLoss > unclipped).to(ScalarType.Float32);
        return (loss, active);
    }
}
