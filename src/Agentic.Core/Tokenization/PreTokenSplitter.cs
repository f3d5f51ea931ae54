using System.Text.RegularExpressions;

namespace Agentic.Core.Tokenization;

/// <summary>
/// Splits text (between special tokens) into pre-tokens; byte-pair merges never cross a pre-token boundary.
/// </summary>
/// <remarks>
/// <para>
/// The split is GPT-2's, adapted to agent text (JSON tool calls and results). The alternatives, first match wins:
/// </para>
/// <list type="number">
/// <item><c> ?[\p{L}\p{M}]+</c>: a run of letters (and combining marks) with an optional leading space: <c> Okafor</c>.</item>
/// <item><c>\p{N}</c>: one digit. Digits are never merged with each other, so numbers stay compositional
/// (<c>20</c> is always <c>2</c>, <c>0</c>), which the arithmetic and id-copying tasks of tiny policies need.</item>
/// <item><c> ?[^\s\p{L}\p{M}\p{N}]+</c>: a run of punctuation and symbols with an optional leading space:
/// <c>{"</c>, <c>":</c>, <c> "</c>, <c>"}}</c>. Such runs are what makes JSON compress. The underscore is punctuation,
/// so <c>customer_id</c> is <c>customer</c>, <c>_</c>, <c>id</c>.</item>
/// <item><c>\s+(?!\S)|\s+</c>: whitespace; a run before a word leaves its last space to that word, as in GPT-2.</item>
/// </list>
/// <para>
/// Unlike GPT-2 there are no English contraction rules (<c>'s</c>, <c>'re</c>, ...). Every UTF-16 code unit falls into
/// one alternative, so the matches cover the text without gaps; a surrogate pair (category Cs) always stays inside
/// one punctuation run.
/// </para>
/// </remarks>
internal static partial class PreTokenSplitter
{
    /// <summary>The pattern, documented on the class.</summary>
    public const string Pattern = @" ?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>The compiled (source-generated) pre-token regex.</summary>
    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    public static partial Regex Regex { get; }
}
