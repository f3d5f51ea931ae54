using System.Text.RegularExpressions;

namespace Agentic.Training.Tasks.SearchQa;

/// <summary>
/// The AutoRefine output format: <c>&lt;think&gt;</c> reasoning, <c>&lt;search&gt; query &lt;/search&gt;</c> (answered
/// by the environment with <c>&lt;documents&gt; … &lt;/documents&gt;</c>), <c>&lt;refine&gt;</c> distilled evidence after
/// every search, and a final <c>&lt;answer&gt; … &lt;/answer&gt;</c>.
/// </summary>
public static partial class AutoRefineFormat
{
    /// <summary>The tags of the format, each opened and closed.</summary>
    public static IReadOnlyList<string> Tags { get; } = ["think", "search", "documents", "refine", "answer"];

    /// <summary>The final answer, if the text has a complete answer block (the last one wins).</summary>
    public static string? Answer(string text) => Blocks(text, "answer").LastOrDefault()?.Trim();

    /// <summary>The query of the last complete search block, if any.</summary>
    public static string? SearchQuery(string text) => Blocks(text, "search").LastOrDefault()?.Trim();

    /// <summary>The contents of every complete <c>&lt;refine&gt;</c> block, in order.</summary>
    public static IReadOnlyList<string> Refinements(string text) => Blocks(text, "refine");

    /// <summary>Whether every tag of the format is balanced and not nested in itself.</summary>
    public static bool IsWellFormed(string text)
    {
        foreach (var tag in Tags)
        {
            int depth = 0;
            foreach (Match m in TagPattern().Matches(text))
            {
                if (m.Groups["name"].Value != tag) continue;
                depth += m.Groups["close"].Success ? -1 : 1;
                if (depth is < 0 or > 1) return false;
            }
            if (depth != 0) return false;
        }
        return true;
    }

    /// <summary>The contents of every complete block of <paramref name="tag"/>.</summary>
    public static IReadOnlyList<string> Blocks(string text, string tag) =>
        Regex.Matches(text, $"<{tag}>(.*?)</{tag}>", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToArray();

    [GeneratedRegex(@"<(?<close>/)?(?<name>think|search|documents|refine|answer)>")]
    private static partial Regex TagPattern();
}
