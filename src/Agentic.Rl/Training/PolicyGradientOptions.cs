using System.ComponentModel.DataAnnotations;
using Agentic.Rl.Losses;

namespace Agentic.Rl.Training;

/// <summary>Where the trainer takes the behaviour policy's log-probabilities from.</summary>
public enum OldLogProbSource
{
    /// <summary>Recompute them with the trainer's own forward pass before the first update of a batch (verl's
    /// default); the mismatch with the sampled values is corrected by truncated importance sampling when
    /// <see cref="PolicyLossOptions.TruncatedImportanceCap"/> is set.</summary>
    Recompute,

    /// <summary>Use the log-probabilities the rollout engine recorded while sampling.</summary>
    Rollout,
}

/// <summary>Options of <see cref="PolicyGradientTrainer"/>.</summary>
public sealed class PolicyGradientOptions
{
    /// <summary>
    /// Whether each optimizer step also moves the MoE router bias toward uniform expert load (the auxiliary-loss-free
    /// balancing SFT uses). Off, the bias stays where the warm start left it and the policy changes by the reward alone:
    /// the load of RL batches (whole episodes, padded to the longest of a micro-batch) is not the load the bias was
    /// balanced on, and a bias step of 1e-3 per update drifts the routing by as much as the scores differ. Default on.
    /// </summary>
    public bool BalanceRouters { get; set; } = true;

    /// <summary>Learning rate of AdamW after the warmup. Default 3e-4.</summary>
    [Range(1e-8, 1.0)] public double LearningRate { get; set; } = 3e-4;

    /// <summary>
    /// Optimizer updates over which the learning rate rises linearly to <see cref="LearningRate"/>. A fresh AdamW's
    /// first updates move every parameter by the full learning rate (its second-moment estimate has seen one gradient),
    /// which can wreck a sharp SFT policy in a few updates; the warmup lets the moments settle first. 0 = off. Default 10.
    /// </summary>
    [Range(0, 1_000_000)] public int WarmupUpdates { get; set; } = 10;

    /// <summary>AdamW weight decay. Default 0.</summary>
    [Range(0.0, 1.0)] public double WeightDecay { get; set; }

    /// <summary>AdamW beta1. Default 0.9.</summary>
    [Range(0.0, 0.999999)] public double Beta1 { get; set; } = 0.9;

    /// <summary>AdamW beta2. Default 0.99.</summary>
    [Range(0.0, 0.999999)] public double Beta2 { get; set; } = 0.99;

    /// <summary>Global gradient-norm clip (0 = off). Default 1.</summary>
    [Range(0.0, double.MaxValue)] public double MaxGradNorm { get; set; } = 1.0;

    /// <summary>Most updates taken on one rollout batch (K of rollout reuse; 1 = single use). Default 1.</summary>
    [Range(1, 64)] public int MaxReuse { get; set; } = 1;

    /// <summary>Sequences per forward/backward pass (gradients accumulate over micro-batches). Default 16.</summary>
    [Range(1, 4096)] public int MicroBatchSize { get; set; } = 16;

    /// <summary>
    /// The temperature the rollouts were sampled at: the trainer computes log-probabilities from logits / T, as the
    /// sampler did, so that ratios and the recomputed old log-probabilities compare like with like. Default 1.
    /// </summary>
    [Range(0.05, 10.0)] public double Temperature { get; set; } = 1.0;

    /// <summary>Where the behaviour log-probabilities come from. Default <see cref="OldLogProbSource.Recompute"/>.</summary>
    public OldLogProbSource OldLogProbs { get; set; } = OldLogProbSource.Recompute;

    /// <summary>The surrogate loss's options (clip bounds, aggregation, KL, entropy, truncated importance sampling).</summary>
    public PolicyLossOptions Loss { get; set; } = new();

    /// <summary>Throws <see cref="ValidationException"/> when an option is out of range.</summary>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        ArgumentNullException.ThrowIfNull(Loss);
        Loss.Validate();
    }
}
