namespace Agentic.Rl.Reporting;

/// <summary>
/// The figures of one training step, as written to <c>metrics.jsonl</c> (one JSON object a line, snake_case names,
/// see <see cref="TrainingRunLog.JsonOptions"/>).
/// </summary>
public sealed record RlStepMetrics
{
    /// <summary>Optimizer step within its phase.</summary>
    public required int Step { get; init; }

    /// <summary>Training phase: <c>"sft"</c>, <c>"rl"</c> or <c>"verify"</c>.</summary>
    public required string Phase { get; init; }

    /// <summary>Wall-clock seconds since the run started.</summary>
    public double Seconds { get; init; }

    /// <summary>Trajectories consumed so far (cumulative over the run).</summary>
    public int Samples { get; init; }

    /// <summary>Training loss of the step.</summary>
    public double Loss { get; init; }

    /// <summary>Mean reward of the step's rollouts.</summary>
    public double RewardMean { get; init; }

    /// <summary>Success rate of the step's clean rollouts; <see langword="null"/> when the step had none.</summary>
    public double? SuccessClean { get; init; }

    /// <summary>Success rate of the step's noisy rollouts; <see langword="null"/> when the step had none.</summary>
    public double? SuccessNoisy { get; init; }

    /// <summary>Fraction of the step's rollouts that ran with tool noise.</summary>
    public double NoisyFraction { get; init; }

    /// <summary>Name of the tool-noise level in force (for example <c>"none"</c>, <c>"low"</c>, <c>"high"</c>).</summary>
    public string NoiseLevel { get; init; } = "";

    /// <summary>L2 norm of the lm_head weight gradient after <c>backward()</c>.</summary>
    public double LmHeadGradNorm { get; init; }

    /// <summary>Whether the gradient gate fired (held back the update) on this step.</summary>
    public bool GateFired { get; init; }

    /// <summary>The gate's z-score of the gradient norm; <see langword="null"/> while the gate warms up.</summary>
    public double? GateZScore { get; init; }

    /// <summary>How many times the step's batch has been reused (0 for fresh rollouts).</summary>
    public int ReuseIndex { get; init; }

    /// <summary>KL divergence to the reference policy, when computed.</summary>
    public double? Kl { get; init; }

    /// <summary>Mean token entropy of the policy, when computed.</summary>
    public double? Entropy { get; init; }

    /// <summary>Fraction of tokens whose ratio was clipped, when computed.</summary>
    public double? ClipFraction { get; init; }

    /// <summary>Anything else (reward components, for example); keys are written as given.</summary>
    public IReadOnlyDictionary<string, double>? Extra { get; init; }
}
