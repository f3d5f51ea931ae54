using Agentic.Training.Tasks.SearchQa;

namespace Agentic.Rl.Rewards;

/// <summary>
/// The default shaped rewards of the built-in suites.
/// </summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>term</term><description>weight (score range)</description></listheader>
/// <item><term><c>outcome</c> (<see cref="OutcomeReward"/>), or <c>retrieval</c> (<see cref="RetrievalReward"/>) for <c>searchqa</c></term><description>1 ([0, 1])</description></item>
/// <item><term><c>format</c> (<see cref="FormatReward"/>)</term><description>0.1 ({0, 1})</description></item>
/// <item><term><c>invalid_action</c> (<see cref="InvalidActionPenalty"/>, 0.25 per event, capped at 1)</term><description>0.2 ([-1, 0]: -0.05 per event, at most -0.2)</description></item>
/// <item><term><c>noise_aware</c> (<see cref="NoiseAwareReward"/> over the outcome term)</term><description>1 ([-1, 0]: cancels the outcome credit)</description></item>
/// <item><term><c>answer_similarity</c> (<see cref="AnswerSimilarityReward"/>)</term><description>off unless <see cref="RewardShapingOptions.AnswerSimilarityWeight"/> is set ([0, 1])</description></item>
/// <item><term><c>memory_evidence</c> (<see cref="MemoryEvidenceReward"/>)</term><description>off unless <see cref="RewardShapingOptions.MemoryEvidenceWeight"/> is set ([0, 1])</description></item>
/// <item><term><c>exit_timing</c> (<see cref="ExitTimingReward"/>)</term><description>off unless <see cref="RewardShapingOptions.ExitTimingWeight"/> is set ([-1, 0])</description></item>
/// <item><term><c>stated_key</c> (<see cref="StatedKeyReward"/>)</term><description>off unless <see cref="RewardShapingOptions.StatedKeyWeight"/> is set ({0, 1})</description></item>
/// <item><term><c>length</c> (<see cref="LengthPenalty"/>)</term><description>off unless <see cref="RewardShapingOptions.LengthPenalty"/> is set; then 1</description></item>
/// </list>
/// The total of a clean, well-formed success is 1.1; of a success after an unretried tool failure, 0.1.
/// </remarks>
public static class RewardShaping
{
    /// <summary>The default shaped reward of <paramref name="suite"/>.</summary>
    /// <param name="suite">A suite name; <c>searchqa</c> (case-insensitive) scores the outcome with <see cref="RetrievalReward"/>, every other name with <see cref="OutcomeReward"/>.</param>
    /// <returns>The composite.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="suite"/> is <see langword="null"/>.</exception>
    public static CompositeReward Default(string suite)
    {
        ArgumentNullException.ThrowIfNull(suite);
        return Create(new RewardShapingOptions { Suite = suite });
    }

    /// <summary>The shaped reward described by <paramref name="options"/>.</summary>
    /// <param name="options">The options.</param>
    /// <returns>The composite.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A weight or bound is not finite, the bounds are crossed, or two terms share a name.</exception>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options of a term are invalid.</exception>
    public static CompositeReward Create(RewardShapingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        RewardShaper outcome = string.Equals(options.Suite?.Trim(), SearchQaSuite.Name, StringComparison.OrdinalIgnoreCase)
            ? new RetrievalReward(options.Retrieval)
            : new OutcomeReward();
        var terms = new List<RewardTerm>
        {
            new(outcome, options.OutcomeWeight),
            new(new FormatReward(), options.FormatWeight),
            new(new InvalidActionPenalty(options.InvalidAction), options.InvalidActionWeight),
        };
        if (options.NoiseAwareWeight != 0) terms.Add(new(new NoiseAwareReward(new NoiseAwareRewardOptions { Outcome = outcome }), options.NoiseAwareWeight));
        if (options.AnswerSimilarityWeight != 0) terms.Add(new(new AnswerSimilarityReward(options.AnswerSimilarity), options.AnswerSimilarityWeight));
        if (options.MemoryEvidenceWeight != 0) terms.Add(new(new MemoryEvidenceReward(options.MemoryEvidence), options.MemoryEvidenceWeight));
        if (options.ExitTimingWeight != 0) terms.Add(new(new ExitTimingReward(options.ExitTiming), options.ExitTimingWeight));
        if (options.StatedKeyWeight != 0) terms.Add(new(new StatedKeyReward(options.StatedKey), options.StatedKeyWeight));
        if (options.LengthPenalty is { } length) terms.Add(new(new LengthPenalty(length), 1));
        terms.AddRange(options.ExtraTerms);
        return new CompositeReward(terms, new CompositeRewardOptions { MinTotal = options.MinTotal, MaxTotal = options.MaxTotal });
    }
}
