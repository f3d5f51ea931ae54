using System.ComponentModel.DataAnnotations;
using Agentic.Core.Agents;

namespace Agentic.Rl.Rewards;

/// <summary>Options of <see cref="NoiseAwareReward"/>.</summary>
public sealed class NoiseAwareRewardOptions
{
    /// <summary>
    /// Gets or sets a fixed penalty (a positive amount, subtracted) for an answer after an unretried failure;
    /// <see langword="null"/> (the default) removes exactly the outcome credit instead (minus the outcome shaper's score).
    /// </summary>
    [Range(0.0, double.MaxValue)] public double? Penalty { get; set; }

    /// <summary>
    /// Gets or sets the shaper whose credit is removed (the composite's outcome term, with the same weight); <see langword="null"/>
    /// for <see cref="OutcomeReward"/>. Not read when <see cref="Penalty"/> is set.
    /// </summary>
    public RewardShaper? Outcome { get; set; }

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ValidationException"><see cref="Penalty"/> is negative or not finite.</exception>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (Penalty is { } p && !double.IsFinite(p)) throw new ValidationException("Penalty must be finite.");
    }
}

/// <summary>
/// No credit for an answer invented after a tool failure (NoisyAgent). When a call of some tool failed and the episode
/// ended without a successful call of that same tool at the same turn or later, the score is minus the outcome
/// credit (<see cref="NoiseAwareRewardOptions.Outcome"/>'s score, so with equal weights the two terms cancel) or minus
/// <see cref="NoiseAwareRewardOptions.Penalty"/>; otherwise 0. Named <c>noise_aware</c>.
/// </summary>
/// <remarks>
/// <para>
/// A call failed when its result is an error object <c>{"error": ...}</c> (the in-band failure and timeout of tool
/// noise, and also a tool's own refusal such as <c>{"error": "unknown order_id"}</c>) or text starting with
/// <c>Error:</c> (the agent loop's timeouts and tool exceptions), or when a <c>tool_timeout</c>, <c>tool_error</c>,
/// <c>noise:tool:Failure</c> or <c>noise:tool:Timeout</c> event names the tool at that turn. Every other result is a
/// success, including noisy-but-present content (incomplete, misleading, redundant): the agent had data to answer from.
/// </para>
/// <para>
/// Turns are the unit: a success of the tool at the failure's turn (the doubled calls of a cautious agent) or any later
/// turn retries it. Results of the final turn are not in the messages (the loop stops at the answer), so a call made in
/// the same turn as the answer counts only through its events.
/// </para>
/// </remarks>
public sealed class NoiseAwareReward : RewardShaper
{
    /// <summary>The default name, <c>noise_aware</c>.</summary>
    public const string DefaultName = "noise_aware";

    private readonly double? _penalty;
    private readonly RewardShaper _outcome;

    /// <summary>Creates the shaper.</summary>
    /// <param name="options">The options (read once), or <see langword="null"/> for the defaults.</param>
    /// <exception cref="ValidationException">The options are invalid.</exception>
    public NoiseAwareReward(NoiseAwareRewardOptions? options = null)
        : base(DefaultName)
    {
        options ??= new NoiseAwareRewardOptions();
        options.Validate();
        _penalty = options.Penalty;
        _outcome = options.Outcome ?? new OutcomeReward();
    }

    /// <summary>Whether <paramref name="trajectory"/> ends with a tool failure that was never followed by a success of the same tool.</summary>
    /// <param name="trajectory">A finished episode.</param>
    /// <returns>True when some tool's last failure has no success at its turn or later.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="trajectory"/> is <see langword="null"/>.</exception>
    public static bool HasUnretriedFailure(Trajectory trajectory)
    {
        ArgumentNullException.ThrowIfNull(trajectory);
        var (failures, successes) = ToolFailures.Timeline(trajectory);
        foreach (var (tool, failed) in failures)
        {
            int lastFailure = failed.Max();
            if (!successes.TryGetValue(tool, out var succeeded) || succeeded.Max() < lastFailure) return true;
        }
        return false;
    }

    /// <inheritdoc />
    protected override double ScoreCore(Trajectory trajectory)
    {
        if (!HasUnretriedFailure(trajectory)) return 0;
        return _penalty is { } penalty ? -penalty : -_outcome.Score(trajectory);
    }
}
