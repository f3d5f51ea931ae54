namespace Agentic.Rl.Rewards;

/// <summary>
/// Options of the default shaped reward (<see cref="RewardShaping.Create"/>, <see cref="RewardShapingServiceCollectionExtensions.AddRewardShaping"/>).
/// The weights default to <see cref="RewardShaping"/>'s table; <see cref="ExtraTerms"/> adds your own shapers.
/// </summary>
public sealed class RewardShapingOptions
{
    /// <summary>Gets or sets the suite name, for example <c>searchqa</c> (case-insensitive); it picks the outcome term. Default <c>""</c> (any suite other than search QA).</summary>
    public string Suite { get; set; } = "";

    /// <summary>Gets or sets the weight of the outcome term (<see cref="OutcomeReward"/>, or <see cref="RetrievalReward"/> for search QA). Default 1.</summary>
    public double OutcomeWeight { get; set; } = 1;

    /// <summary>Gets or sets the weight of <see cref="FormatReward"/>. Default 0.1.</summary>
    public double FormatWeight { get; set; } = 0.1;

    /// <summary>Gets or sets the weight of <see cref="InvalidActionPenalty"/> (score in [-1, 0], -0.25 per event). Default 0.2.</summary>
    public double InvalidActionWeight { get; set; } = 0.2;

    /// <summary>
    /// Gets or sets the weight of <see cref="NoiseAwareReward"/>; with the default (equal to <see cref="OutcomeWeight"/>) an
    /// answer after an unretried tool failure keeps no outcome credit. 0 turns the term off. Default 1.
    /// </summary>
    public double NoiseAwareWeight { get; set; } = 1;

    /// <summary>
    /// Gets or sets the overlong penalty (<see cref="LengthPenalty"/>, weight 1, its own <see cref="LengthPenaltyOptions.Weight"/>
    /// scales it); <see langword="null"/> (the default) leaves it out, since the right length depends on the loop's budget.
    /// </summary>
    public LengthPenaltyOptions? LengthPenalty { get; set; }

    /// <summary>
    /// Gets or sets the weight of <see cref="AnswerSimilarityReward"/> (character-level partial credit for a near-miss
    /// answer, in [0, 1]); keep it below <see cref="OutcomeWeight"/>. 0 (the default) leaves the term out.
    /// </summary>
    public double AnswerSimilarityWeight { get; set; }

    /// <summary>
    /// Gets or sets the weight of <see cref="MemoryEvidenceReward"/> (the share of the evidence read so far that the agent's
    /// memory holds verbatim, in [0, 1]; 0 on tasks without evidence); keep it below <see cref="OutcomeWeight"/>.
    /// 0 (the default) leaves the term out.
    /// </summary>
    public double MemoryEvidenceWeight { get; set; }

    /// <summary>
    /// Gets or sets the weight of <see cref="ExitTimingReward"/> (GRU-Mem's exit reward: -1 for an answer before the
    /// evidence has been read, in [-1, 0]; 0 on episodes without the figure); keep it below <see cref="OutcomeWeight"/>.
    /// 0 (the default) leaves the term out.
    /// </summary>
    public double ExitTimingWeight { get; set; }

    /// <summary>
    /// Gets or sets the weight of <see cref="StatedKeyReward"/> (1 when the answering message names the asked key before
    /// the answer, else 0; 0 on tasks without such a statement); keep it below <see cref="OutcomeWeight"/>. 0 (the
    /// default) leaves the term out.
    /// </summary>
    public double StatedKeyWeight { get; set; }

    /// <summary>Gets or sets the options of the stated-key term; <see langword="null"/> for its defaults.</summary>
    public StatedKeyRewardOptions? StatedKey { get; set; }

    /// <summary>Gets or sets the options of the exit-timing term; <see langword="null"/> for its defaults.</summary>
    public ExitTimingRewardOptions? ExitTiming { get; set; }

    /// <summary>Gets or sets the options of the memory-evidence term; <see langword="null"/> for its defaults.</summary>
    public MemoryEvidenceRewardOptions? MemoryEvidence { get; set; }

    /// <summary>Gets or sets the options of the answer-similarity term; <see langword="null"/> for its defaults.</summary>
    public AnswerSimilarityRewardOptions? AnswerSimilarity { get; set; }

    /// <summary>Gets or sets the options of the retrieval term (search QA); <see langword="null"/> for its defaults.</summary>
    public RetrievalRewardOptions? Retrieval { get; set; }

    /// <summary>Gets or sets the options of the invalid-action term; <see langword="null"/> for its defaults.</summary>
    public InvalidActionPenaltyOptions? InvalidAction { get; set; }

    /// <summary>Gets the extra terms appended after the defaults (your own shapers).</summary>
    public IList<RewardTerm> ExtraTerms { get; } = [];

    /// <summary>Gets or sets the lower bound of the total; <see langword="null"/> for none (the default).</summary>
    public double? MinTotal { get; set; }

    /// <summary>Gets or sets the upper bound of the total; <see langword="null"/> for none (the default).</summary>
    public double? MaxTotal { get; set; }
}
