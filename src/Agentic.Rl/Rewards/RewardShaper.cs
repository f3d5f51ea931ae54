using Agentic.Core.Agents;

namespace Agentic.Rl.Rewards;

/// <summary>
/// One term of a shaped reward: scores a finished <see cref="Trajectory"/>. Researchers subclass it and override
/// <see cref="ScoreCore"/>; <see cref="CompositeReward"/> weighs and sums the terms.
/// </summary>
/// <remarks>
/// In the manner of <c>AIFunction.InvokeAsync</c> and <c>InvokeCoreAsync</c>: the public <see cref="Score"/> guards
/// its argument and the result, the protected <see cref="ScoreCore"/> only computes. The built-in shapers return
/// scores on a unit scale (credits in [0, 1], penalties in [-1, 0]) and leave the magnitude to the term's weight.
/// </remarks>
public abstract class RewardShaper
{
    /// <summary>Initializes the shaper.</summary>
    /// <param name="name">The shaper's name: the key of its term in <see cref="RewardBreakdown.Components"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or white space.</exception>
    protected RewardShaper(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>Gets the shaper's name (for example <c>outcome</c>), the key of its term in a <see cref="RewardBreakdown"/>.</summary>
    public string Name { get; }

    /// <summary>Scores <paramref name="trajectory"/>.</summary>
    /// <param name="trajectory">A finished episode.</param>
    /// <returns>The score, a finite number.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="trajectory"/> is <see langword="null"/>.</exception>
    /// <exception cref="RewardException"><see cref="ScoreCore"/> returned NaN or an infinity.</exception>
    public double Score(Trajectory trajectory)
    {
        ArgumentNullException.ThrowIfNull(trajectory);
        double score = ScoreCore(trajectory);
        return double.IsFinite(score) ? score : throw new RewardException(Name, score);
    }

    /// <summary>Computes the score of <paramref name="trajectory"/> (never <see langword="null"/> here).</summary>
    /// <param name="trajectory">A finished episode.</param>
    /// <returns>The score; it must be finite.</returns>
    protected abstract double ScoreCore(Trajectory trajectory);

    /// <inheritdoc />
    public override string ToString() => Name;
}
