using System.ComponentModel.DataAnnotations;

namespace Agentic.Rl.Advantages;

/// <summary>Options of <see cref="GrpoAdvantageEstimator"/>.</summary>
public sealed class GrpoAdvantageOptions
{
    /// <summary>
    /// Whether to divide by the group's standard deviation (GRPO). Off gives Dr. GRPO's unbiased mean-centred
    /// advantage. Default on.
    /// </summary>
    public bool NormalizeByStandardDeviation { get; set; } = true;

    /// <summary>
    /// Self-imitation: negative advantages become zero, so only the rollouts that did better than their (sub)group's
    /// mean carry loss and the update only raises the probability of the policy's own better answers (the
    /// max(R - b, 0) of self-imitation learning; with binary rewards, RAFT's rejection-sampling fine-tuning weighted by
    /// how rare the success was). The advantages then no longer sum to zero. Default off.
    /// </summary>
    public bool PositiveOnly { get; set; }

    /// <summary>Added to the standard deviation before dividing. Default 1e-6.</summary>
    [Range(0.0, 1.0)] public double Epsilon { get; set; } = 1e-6;

    /// <summary>Throws <see cref="ValidationException"/> when an option is out of range.</summary>
    public void Validate() => Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
}

/// <summary>
/// Group-relative advantages (GRPO): each reward minus the mean of its (sub)group, optionally divided by the
/// (population) standard deviation plus epsilon. Advantages of a (sub)group sum to zero; a (sub)group whose rewards
/// are all equal gets zero advantage, and a subgroup of one rollout has nothing to be compared with and gets zero.
/// With <see cref="GrpoAdvantageOptions.PositiveOnly"/> the negative advantages are then set to zero.
/// </summary>
public class GrpoAdvantageEstimator : AdvantageEstimator
{
    /// <summary>Creates the estimator.</summary>
    /// <param name="options">Options; null for the defaults.</param>
    public GrpoAdvantageEstimator(GrpoAdvantageOptions? options = null)
    {
        Options = options ?? new GrpoAdvantageOptions();
        Options.Validate();
    }

    /// <summary>The estimator's options.</summary>
    public GrpoAdvantageOptions Options { get; }

    /// <inheritdoc />
    protected override double[] EstimateCore(double[] rewards)
    {
        if (rewards.All(r => r == rewards[0])) return new double[rewards.Length];
        double mean = rewards.Average();
        var advantages = rewards.Select(r => r - mean).ToArray();
        if (Options.NormalizeByStandardDeviation)
        {
            double std = Math.Sqrt(advantages.Sum(a => a * a) / rewards.Length);
            if (std == 0) return new double[rewards.Length];
            for (int i = 0; i < advantages.Length; i++) advantages[i] /= std + Options.Epsilon;
        }

        if (Options.PositiveOnly)
        {
            for (int i = 0; i < advantages.Length; i++) advantages[i] = Math.Max(0, advantages[i]);
        }

        return advantages;
    }
}
