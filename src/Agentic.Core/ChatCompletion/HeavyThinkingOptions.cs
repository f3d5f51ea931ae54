namespace Agentic.Core.ChatCompletion;

/// <summary>How Heavy Thinking turns parallel traces into one answer.</summary>
public enum HeavyThinkingAggregation
{
    /// <summary>
    /// LongCat's depth: a summary pass of the inner client reads the traces and writes the final answer (repeated
    /// <see cref="HeavyThinkingOptions.Depth"/> times, each pass reading the previous pass's answers).
    /// </summary>
    Summary,

    /// <summary>
    /// The most frequent final answer among the traces (answers compared after <see cref="HeavyThinkingOptions.AnswerExtractor"/>);
    /// ties go to the earliest trace. For policies never trained to summarise.
    /// </summary>
    MajorityVote,
}

/// <summary>Options of <see cref="HeavyThinkingChatClient"/>.</summary>
public sealed class HeavyThinkingOptions
{
    /// <summary>Width: number of parallel traces.</summary>
    public int Width { get; set; } = 4;

    /// <summary>Depth: number of summary passes (Summary aggregation only).</summary>
    public int Depth { get; set; } = 1;

    /// <summary>Sampling temperature of the traces (high, for diversity).</summary>
    public float TraceTemperature { get; set; } = 1.0f;

    /// <summary>Sampling temperature of the summary pass.</summary>
    public float SummaryTemperature { get; set; }

    /// <summary>How the traces are aggregated.</summary>
    public HeavyThinkingAggregation Aggregation { get; set; } = HeavyThinkingAggregation.Summary;

    /// <summary>Extracts the comparable final answer of a trace for majority voting (default: the trimmed text).</summary>
    public Func<string, string> AnswerExtractor { get; set; } = text => text.Trim();

    /// <summary>Most traces that may run at once (1 = sequential).</summary>
    public int MaxParallelism { get; set; } = 4;

    /// <summary>The instruction of a summary pass; <c>{traces}</c> is replaced with the numbered traces.</summary>
    public string SummaryPrompt { get; set; } =
        "Here are several independent attempts at the request above:\n{traces}\nRead them, resolve any disagreement, and write the single best final answer.";

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Width, 1, nameof(Width));
        ArgumentOutOfRangeException.ThrowIfLessThan(Depth, 1, nameof(Depth));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxParallelism, 1, nameof(MaxParallelism));
        ArgumentNullException.ThrowIfNull(AnswerExtractor, nameof(AnswerExtractor));
        if (!SummaryPrompt.Contains("{traces}", StringComparison.Ordinal)) throw new ArgumentException("SummaryPrompt must contain {traces}.", nameof(SummaryPrompt));
    }
}
