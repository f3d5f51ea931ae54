using System.ComponentModel.DataAnnotations;

namespace Agentic.Rl.Losses;

/// <summary>How the per-token policy loss is averaged over a batch.</summary>
public enum LossAggregation
{
    /// <summary>Sum over every loss token of the batch divided by their count (DAPO): long answers weigh by their length.</summary>
    TokenMean,

    /// <summary>Mean over each sequence's loss tokens, then mean over sequences (the original GRPO).</summary>
    SequenceMean,
}

/// <summary>Estimator of the per-token KL divergence to the reference policy.</summary>
public enum KlEstimator
{
    /// <summary>k1 = log p - log p_ref (unbiased, high variance, can be negative).</summary>
    K1,

    /// <summary>k3 = exp(log p_ref - log p) - (log p_ref - log p) - 1 (unbiased, non-negative, low variance).</summary>
    K3,
}

/// <summary>Options of <see cref="ClippedPolicyLoss"/>.</summary>
public sealed class PolicyLossOptions
{
    /// <summary>Lower clip bound: the ratio is clipped below at 1 - ClipLow. Default 0.2.</summary>
    [Range(0.0, 1.0)] public double ClipLow { get; set; } = 0.2;

    /// <summary>Upper clip bound: the ratio is clipped above at 1 + ClipHigh; DAPO's clip-higher uses 0.28 (the default).</summary>
    [Range(0.0, 10.0)] public double ClipHigh { get; set; } = 0.28;

    /// <summary>How token losses are averaged. Default <see cref="LossAggregation.TokenMean"/>.</summary>
    public LossAggregation Aggregation { get; set; } = LossAggregation.TokenMean;

    /// <summary>Weight of the KL penalty to the reference policy (0 = none, no reference needed). Default 0.</summary>
    [Range(0.0, 100.0)] public double KlCoefficient { get; set; }

    /// <summary>The KL estimator. Default <see cref="KlEstimator.K3"/>.</summary>
    public KlEstimator KlEstimator { get; set; } = KlEstimator.K3;

    /// <summary>Weight of the entropy bonus (subtracted from the loss). Default 0.</summary>
    [Range(0.0, 10.0)] public double EntropyCoefficient { get; set; }

    /// <summary>
    /// Cap C of truncated importance sampling: when old log-probabilities are recomputed by the trainer, each token's
    /// loss is weighted by min(exp(recomputed - sampled), C), which corrects a mismatch between the rollout engine
    /// (or an older policy version) and the trainer. Null turns the correction off. Default 2.
    /// </summary>
    [Range(1.0, 1000.0)] public double? TruncatedImportanceCap { get; set; } = 2.0;

    /// <summary>Throws <see cref="ValidationException"/> when an option is out of range.</summary>
    public void Validate() => Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
}
