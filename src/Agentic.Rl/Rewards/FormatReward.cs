using Agentic.Core.Agents;

namespace Agentic.Rl.Rewards;

/// <summary>Options of <see cref="FormatReward"/>.</summary>
public sealed class FormatRewardOptions
{
    /// <summary>
    /// Gets or sets whether an environment's own format verdict counts too: when <c>Info["format_ok"]</c> is present
    /// (the search-QA suite: AutoRefine tags present and balanced, and an answer given) it must be positive. Default true.
    /// </summary>
    public bool RequireFormatOk { get; set; } = true;
}

/// <summary>
/// Credit for a well-formed episode: 1 when the episode has no <c>malformed_output</c> event and ended
/// <see cref="EpisodeEnd.Done"/> (not at the turn limit or the token budget), and, with
/// <see cref="FormatRewardOptions.RequireFormatOk"/>, <c>Info["format_ok"]</c> is positive when present; else 0.
/// Named <c>format</c>; give it a small weight.
/// </summary>
public sealed class FormatReward : RewardShaper
{
    /// <summary>The default name, <c>format</c>.</summary>
    public const string DefaultName = "format";

    private readonly bool _requireFormatOk;

    /// <summary>Creates the shaper.</summary>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    public FormatReward(FormatRewardOptions? options = null)
        : base(DefaultName)
    {
        _requireFormatOk = (options ?? new FormatRewardOptions()).RequireFormatOk;
    }

    /// <inheritdoc />
    protected override double ScoreCore(Trajectory trajectory)
    {
        if (trajectory.End != EpisodeEnd.Done) return 0;
        if (trajectory.Count(RewardEventKinds.MalformedOutput) > 0) return 0;
        if (_requireFormatOk && trajectory.Info.TryGetValue("format_ok", out double ok) && !(ok > 0)) return 0;
        return 1;
    }
}
