using Microsoft.ML.Tokenizers;

namespace Agentic.Core.Chat;

/// <summary>Decoding of policy output that may hold ids the tokenizer cannot decode.</summary>
/// <remarks>
/// A model's vocabulary is often padded past the tokenizer's (to a multiple of 32, say); a barely trained policy can
/// sample those ids. Such output is malformed, not an exception: the text ends before the first undecodable id.
/// </remarks>
public static class TokenText
{
    /// <summary>Decodes <paramref name="ids"/> up to the first id <paramref name="tokenizer"/> cannot decode.</summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="ids">The ids to decode.</param>
    /// <param name="decoded">How many leading ids were decoded (all of them unless one is undecodable).</param>
    public static string DecodeValidPrefix(Tokenizer tokenizer, IReadOnlyList<int> ids, out int decoded)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(ids);
        try
        {
            decoded = ids.Count;
            return tokenizer.Decode(ids) ?? "";
        }
        catch (ArgumentException)
        {
            decoded = 0;
            while (decoded < ids.Count && IsDecodable(tokenizer, ids[decoded])) decoded++;
            return tokenizer.Decode(ids.Take(decoded)) ?? "";
        }
    }

    private static bool IsDecodable(Tokenizer tokenizer, int id)
    {
        try
        {
            tokenizer.Decode([id]);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
