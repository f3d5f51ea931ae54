namespace Agentic.Core.Chat;

/// <summary>Token ids of a conversation (or a part of one) and, per token, whether the policy is trained on it.</summary>
/// <remarks>
/// The arrays are exposed without copying so they can go straight into tensors; treat them as read-only.
/// </remarks>
public sealed class TokenizedConversation
{
    /// <summary>Creates a tokenized conversation.</summary>
    /// <param name="ids">The token ids.</param>
    /// <param name="lossMask">Per token, <see langword="true"/> where the policy produced the token.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The arrays differ in length.</exception>
    public TokenizedConversation(int[] ids, bool[] lossMask)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(lossMask);
        if (ids.Length != lossMask.Length)
        {
            throw new ArgumentException(
                $"The loss mask has {lossMask.Length} entries but there are {ids.Length} ids.", nameof(lossMask));
        }

        Ids = ids;
        LossMask = lossMask;
    }

    /// <summary>A conversation with no tokens.</summary>
    public static TokenizedConversation Empty { get; } = new([], []);

    /// <summary>The token ids.</summary>
    public int[] Ids { get; }

    /// <summary>
    /// Per token, <see langword="true"/> exactly where the policy produced the token (assistant content, tool calls and
    /// the assistant's closing <c>&lt;|im_end|&gt;</c>); same length as <see cref="Ids"/>.
    /// </summary>
    public bool[] LossMask { get; }

    /// <summary>The number of tokens.</summary>
    public int Count => Ids.Length;

    /// <summary>Joins parts end to end.</summary>
    /// <param name="parts">The parts, in order.</param>
    /// <returns>A new conversation holding the ids and masks of all parts.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parts"/> or one of its items is <see langword="null"/>.</exception>
    public static TokenizedConversation Concat(params IEnumerable<TokenizedConversation> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var ids = new List<int>();
        var mask = new List<bool>();
        foreach (TokenizedConversation part in parts)
        {
            ArgumentNullException.ThrowIfNull(part, nameof(parts));
            ids.AddRange(part.Ids);
            mask.AddRange(part.LossMask);
        }

        return new TokenizedConversation([.. ids], [.. mask]);
    }
}
