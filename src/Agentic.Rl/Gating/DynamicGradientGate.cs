using System.ComponentModel.DataAnnotations;

namespace Agentic.Rl.Gating;

/// <summary>Options of <see cref="DynamicGradientGate"/>.</summary>
public sealed class DynamicGradientGateOptions
{
    /// <summary>Number of recent accepted lm_head gradient norms the test compares against. Default 8.</summary>
    [Range(2, 10_000)] public int WindowSize { get; set; } = 8;

    /// <summary>
    /// The z-score above which a reused update is gated. The DGG summary reports thresholds in [0.1, 0.5]; the units
    /// are not public, so this is a plain z-score (norm minus window mean, over window standard deviation) and the
    /// default is the top of that range, 0.5.
    /// </summary>
    [Range(0.0, 100.0)] public double Threshold { get; set; } = 0.5;

    /// <summary>Floor of the window's standard deviation, relative to its mean, so a flat window does not make every
    /// tiny rise a huge z-score. Default 0.01.</summary>
    [Range(0.0, 1.0)] public double MinRelativeStd { get; set; } = 0.01;

    /// <summary>Throws <see cref="ValidationException"/> when an option is out of range.</summary>
    public void Validate() => Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
}

/// <summary>
/// Dynamic Gradient Gating (DGG): reusing a rollout batch drifts the policy, and the collapse shows first as a surge of
/// the lm_head gradient norm. The gate keeps a sliding window of the norms of accepted updates; once the window is
/// full and the update reuses its batch (reuse index &gt; 1), a z-score above <see cref="DynamicGradientGateOptions.Threshold"/>
/// fires the gate: the update is dropped before the optimizer state changes and the batch is not reused again.
/// First uses of a batch are never gated. Fired norms do not enter the window.
/// </summary>
public class DynamicGradientGate : GradientGate
{
    private readonly Queue<double> _window = new();

    /// <summary>Creates the gate.</summary>
    /// <param name="options">Options; null for the defaults.</param>
    public DynamicGradientGate(DynamicGradientGateOptions? options = null)
    {
        Options = options ?? new DynamicGradientGateOptions();
        Options.Validate();
    }

    /// <summary>The gate's options.</summary>
    public DynamicGradientGateOptions Options { get; }

    /// <summary>The accepted norms in the window, oldest first.</summary>
    public IReadOnlyCollection<double> Window => _window;

    /// <inheritdoc />
    protected override GateDecision DecideCore(double lmHeadGradNorm, int reuseIndex)
    {
        if (reuseIndex > 1 && _window.Count >= Options.WindowSize)
        {
            double mean = _window.Average();
            double std = Math.Sqrt(_window.Sum(x => (x - mean) * (x - mean)) / _window.Count);
            std = Math.Max(std, Options.MinRelativeStd * Math.Abs(mean));
            double z = std > 0 ? (lmHeadGradNorm - mean) / std : lmHeadGradNorm > mean ? double.PositiveInfinity : 0;
            bool fired = IsOutlier(z);
            if (!fired) Accept(lmHeadGradNorm);
            return new GateDecision(fired, reuseIndex, lmHeadGradNorm, z, mean, std);
        }

        Accept(lmHeadGradNorm);
        return new GateDecision(false, reuseIndex, lmHeadGradNorm, null, null, null);
    }

    /// <summary>The test on the z-score: above the threshold. Override for a different test.</summary>
    /// <param name="zScore">The norm's z-score against the window.</param>
    protected virtual bool IsOutlier(double zScore) => zScore > Options.Threshold;

    private void Accept(double norm)
    {
        _window.Enqueue(norm);
        while (_window.Count > Options.WindowSize) _window.Dequeue();
    }

    /// <inheritdoc />
    public override double[] GetState() => [.. _window];

    /// <inheritdoc />
    public override void SetState(double[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _window.Clear();
        foreach (var x in state.TakeLast(Options.WindowSize)) _window.Enqueue(x);
    }
}
