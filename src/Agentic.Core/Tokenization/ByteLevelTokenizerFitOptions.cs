namespace Agentic.Core.Tokenization;

/// <summary>Options of <see cref="ByteLevelTokenizer.Fit"/>.</summary>
public sealed class ByteLevelTokenizerFitOptions
{
    /// <summary>The number of merges to learn at most; fewer if no pair is frequent enough. Default 768.</summary>
    public int Merges { get; init; } = 768;

    /// <summary>
    /// The smallest number of occurrences in the corpus a pair needs to be merged. Default 2. Fitting stops early at
    /// the first most-frequent pair below this count.
    /// </summary>
    public int MinPairFrequency { get; init; } = 2;

    /// <summary>
    /// The special tokens of the fitted tokenizer, in id order. Default <see cref="ByteLevelTokenizer.DefaultSpecialTokens"/>.
    /// Their occurrences in the corpus are split out and never take part in merges.
    /// </summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = ByteLevelTokenizer.DefaultSpecialTokens;
}
