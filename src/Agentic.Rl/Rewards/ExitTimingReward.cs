using Agentic.Core.Agents;

namespace Agentic.Rl.Rewards;

/// <summary>Options of <see cref="ExitTimingReward"/>.</summary>
public sealed class ExitTimingRewardOptions
{
    /// <summary>
    /// Gets or sets the key of the outcome figure that counts the chunks read after the last evidence chunk when the
    /// episode ended (negative: the agent answered before the evidence arrived). Default <c>exit_after_evidence</c>, which
    /// the longcontext environment reports. An episode without the figure scores 0.
    /// </summary>
    public string InfoKey { get; set; } = "exit_after_evidence";

    /// <summary>
    /// Gets or sets the penalty per chunk read after the last evidence chunk (GRU-Mem asks the agent to exit soon after
    /// the evidence, not only after it), in [0, 1]; the score is capped at -1. Default 0: reading on costs nothing.
    /// </summary>
    public double LatePenaltyPerChunk { get; set; }

    /// <summary>Throws when an option is invalid.</summary>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException"><see cref="InfoKey"/> is empty or <see cref="LatePenaltyPerChunk"/> is outside [0, 1].</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(InfoKey)) throw new System.ComponentModel.DataAnnotations.ValidationException("InfoKey must not be empty.");
        if (!(LatePenaltyPerChunk is >= 0 and <= 1)) throw new System.ComponentModel.DataAnnotations.ValidationException($"LatePenaltyPerChunk must be in [0, 1], not {LatePenaltyPerChunk}.");
    }
}

/// <summary>
/// GRU-Mem's exit reward: a reading agent should stop (answer) once the evidence is in, and not before. Scores -1 when
/// the episode ended before the last evidence chunk had been read (an answer the context could not yet support),
/// 0 when it ended right after it, and <c>-LatePenaltyPerChunk</c> per chunk read beyond it (at least -1). An episode
/// whose outcome figures do not hold <see cref="ExitTimingRewardOptions.InfoKey"/> scores 0. Named <c>exit_timing</c>.
/// </summary>
/// <remarks>
/// The outcome reward scores an early guess that happens to be wrong the same as a patient reading that miscopies the
/// answer, so a group in which every rollout fails carries no signal, although the rollouts that waited for the
/// evidence did the part of the task that an early exit skipped. The longcontext warm start's most frequent failure is
/// such a guess: it answers with the code of another key in the first section before the asked key's section arrives.
/// This term ranks the rollouts that waited above those that guessed, in every group. Give it a weight below the
/// outcome's so that a right answer still outranks a patient wrong one.
/// </remarks>
public sealed class ExitTimingReward : RewardShaper
{
    /// <summary>The default name, <c>exit_timing</c>.</summary>
    public const string DefaultName = "exit_timing";

    private readonly string _key;
    private readonly double _late;

    /// <summary>Creates the shaper.</summary>
    /// <param name="options">The options (read once), or <see langword="null"/> for the defaults.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public ExitTimingReward(ExitTimingRewardOptions? options = null)
        : base(DefaultName)
    {
        options ??= new ExitTimingRewardOptions();
        options.Validate();
        _key = options.InfoKey;
        _late = options.LatePenaltyPerChunk;
    }

    /// <inheritdoc />
    protected override double ScoreCore(Trajectory trajectory)
    {
        if (!trajectory.Info.TryGetValue(_key, out var after) || !double.IsFinite(after)) return 0;
        return after < 0 ? -1 : -Math.Min(1, _late * after);
    }
}
