namespace Agentic.Rl.Gating;

/// <summary>What the gate decided for one update on a reused rollout batch.</summary>
/// <param name="Fired">Whether the gate fired: the update's gradients are zeroed before the optimizer state update and
/// the batch is not reused further.</param>
/// <param name="ReuseIndex">One-based index of the update on its batch (1 = first use).</param>
/// <param name="LmHeadGradNorm">The lm_head gradient norm the decision was made on.</param>
/// <param name="ZScore">The z-score of that norm against the window, when the test ran.</param>
/// <param name="WindowMean">Mean of the window when the test ran.</param>
/// <param name="WindowStd">Standard deviation of the window when the test ran.</param>
public readonly record struct GateDecision(bool Fired, int ReuseIndex, double LmHeadGradNorm, double? ZScore, double? WindowMean, double? WindowStd);

/// <summary>
/// Decides, update by update, whether a reused rollout batch may still be trained on (Dynamic Gradient Gating and
/// its relatives). The trainer calls <see cref="Decide"/> after <c>backward()</c> and before the optimizer step, with
/// the lm_head gradient norm; when the decision fires, the trainer zeroes the gradients, skips the optimizer step and
/// moves on to fresh rollouts. Subclass it for a new test; the state must round-trip through
/// <see cref="GetState"/>/<see cref="SetState"/> so that a resumed run decides as an uninterrupted one would.
/// </summary>
public abstract class GradientGate
{
    /// <summary>Decides on one update.</summary>
    /// <param name="lmHeadGradNorm">The lm_head weight's gradient norm for this update.</param>
    /// <param name="reuseIndex">One-based index of the update on its batch.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reuseIndex"/> is below 1 or the norm is negative or not finite.</exception>
    public GateDecision Decide(double lmHeadGradNorm, int reuseIndex)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(reuseIndex, 1);
        if (!double.IsFinite(lmHeadGradNorm) || lmHeadGradNorm < 0)
            throw new ArgumentOutOfRangeException(nameof(lmHeadGradNorm), lmHeadGradNorm, "The gradient norm must be finite and non-negative.");
        return DecideCore(lmHeadGradNorm, reuseIndex);
    }

    /// <summary>Decides on one update (arguments already checked).</summary>
    protected abstract GateDecision DecideCore(double lmHeadGradNorm, int reuseIndex);

    /// <summary>The gate's state (for checkpoints).</summary>
    public abstract double[] GetState();

    /// <summary>Restores a state returned by <see cref="GetState"/>.</summary>
    public abstract void SetState(double[] state);
}

/// <summary>A gate that never fires: naive rollout reuse (or single use with one update per batch).</summary>
public sealed class OpenGradientGate : GradientGate
{
    /// <inheritdoc />
    protected override GateDecision DecideCore(double lmHeadGradNorm, int reuseIndex) =>
        new(false, reuseIndex, lmHeadGradNorm, null, null, null);

    /// <inheritdoc />
    public override double[] GetState() => [];

    /// <inheritdoc />
    public override void SetState(double[] state) => ArgumentNullException.ThrowIfNull(state);
}
