using System.Text;

namespace Agentic.Training.Evaluation;

/// <summary>Question-answering metrics with SQuAD-style normalisation (case, punctuation, articles, whitespace).</summary>
public static class AnswerMetrics
{
    /// <summary>Lower-cases, drops punctuation and the articles a/an/the, and collapses whitespace.</summary>
    public static string Normalize(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(text.Length);
        foreach (var ch in text.ToLowerInvariant()) sb.Append(char.IsPunctuation(ch) ? ' ' : ch);
        return string.Join(' ', sb.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Where(w => w is not ("a" or "an" or "the")));
    }

    /// <summary>1 when the normalised prediction equals the normalised gold answer, else 0.</summary>
    public static double ExactMatch(string? prediction, string gold) => Normalize(prediction) == Normalize(gold) && Normalize(gold).Length > 0 ? 1 : 0;

    /// <summary>Token-level F1 between the normalised prediction and gold answer.</summary>
    public static double F1(string? prediction, string gold)
    {
        var p = Normalize(prediction).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var g = Normalize(gold).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (p.Length == 0 || g.Length == 0) return 0;
        var remaining = g.GroupBy(t => t).ToDictionary(x => x.Key, x => x.Count());
        int common = 0;
        foreach (var token in p)
        {
            if (remaining.TryGetValue(token, out var n) && n > 0)
            {
                remaining[token] = n - 1;
                common++;
            }
        }
        if (common == 0) return 0;
        double precision = (double)common / p.Length, recall = (double)common / g.Length;
        return 2 * precision * recall / (precision + recall);
    }
}
