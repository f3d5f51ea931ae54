using System.ComponentModel.DataAnnotations;
using Agentic.Core.Agents;

namespace Agentic.Rl.Rewards;

/// <summary>Options of <see cref="InvalidActionPenalty"/>.</summary>
public sealed class InvalidActionPenaltyOptions
{
    /// <summary>Gets or sets the penalty per invalid action (a positive amount, subtracted). Default 0.25.</summary>
    [Range(0.0, double.MaxValue)] public double PerEvent { get; set; } = 0.25;

    /// <summary>Gets or sets the cap of the total penalty (a positive amount). Default 1.</summary>
    [Range(0.0, double.MaxValue)] public double MaxPenalty { get; set; } = 1;

    /// <summary>
    /// Gets or sets whether <c>tool_error</c> events count too. The agent loop records any exception of a tool as
    /// <c>tool_error</c>; most are the argument binder rejecting bad arguments (missing or unconvertible), but a tool's own
    /// bug counts as well, so this is off by default.
    /// </summary>
    public bool IncludeToolErrors { get; set; }

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ValidationException">An amount is negative or not finite.</exception>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (!double.IsFinite(PerEvent) || !double.IsFinite(MaxPenalty)) throw new ValidationException("PerEvent and MaxPenalty must be finite.");
    }
}

/// <summary>
/// A penalty for invalid actions: <c>-min(PerEvent * n, MaxPenalty)</c> where n counts the <c>malformed_output</c>
/// and <c>unknown_tool</c> events (and <c>tool_error</c> with <see cref="InvalidActionPenaltyOptions.IncludeToolErrors"/>).
/// With the defaults the score lies in [-1, 0]. Named <c>invalid_action</c>.
/// </summary>
public sealed class InvalidActionPenalty : RewardShaper
{
    /// <summary>The default name, <c>invalid_action</c>.</summary>
    public const string DefaultName = "invalid_action";

    private readonly double _perEvent;
    private readonly double _maxPenalty;
    private readonly bool _includeToolErrors;

    /// <summary>Creates the shaper.</summary>
    /// <param name="options">The options (read once), or <see langword="null"/> for the defaults.</param>
    /// <exception cref="ValidationException">The options are invalid.</exception>
    public InvalidActionPenalty(InvalidActionPenaltyOptions? options = null)
        : base(DefaultName)
    {
        options ??= new InvalidActionPenaltyOptions();
        options.Validate();
        _perEvent = options.PerEvent;
        _maxPenalty = options.MaxPenalty;
        _includeToolErrors = options.IncludeToolErrors;
    }

    /// <inheritdoc />
    protected override double ScoreCore(Trajectory trajectory)
    {
        int count = trajectory.Events.Count(e => e.Kind is RewardEventKinds.MalformedOutput or RewardEventKinds.UnknownTool
            || (_includeToolErrors && e.Kind == RewardEventKinds.ToolError));
        return count == 0 ? 0 : -Math.Min(_perEvent * count, _maxPenalty);
    }
}
