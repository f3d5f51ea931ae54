namespace Agentic.Core.Tokenization;

/// <summary>One learned byte-pair merge: the adjacent ids <see cref="Left"/> and <see cref="Right"/> become one id.</summary>
/// <remarks>
/// Each side is a byte id (0..255) or the id of an earlier merge. Merge <c>k</c> (0-based rank) gets the id
/// <c>256 + specialTokenCount + k</c>, so merges come after the special tokens in the vocabulary.
/// </remarks>
/// <param name="Left">The id of the left part.</param>
/// <param name="Right">The id of the right part.</param>
public readonly record struct BytePairMerge(int Left, int Right);
