using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.ToolUse;

/// <summary>
/// What a customer of the <c>tooluse</c> suite wants, as a careful agent reads it from every customer message so far:
/// the goal and the facts (name, item, new email). It copes with the noise of <see cref="Noise.NoisyUserChatClient"/>:
/// keywords are matched with a one-edit tolerance (typos never touch the first letter, nor the facts); a
/// self-correction <c>"X (sorry, I mean Y)"</c> keeps Y; facts are recognised by their shape wherever they appear
/// (<c>"My name is ..."</c>, <c>"By "that one" I mean ..."</c>, the request itself), and a fact once read is kept
/// when later messages only refer to it; a hedged request (<c>"I'm not totally sure how to put it"</c>) does not fix
/// the goal until the customer's <c>"To be clear, what I mean is: ..."</c>; fillers, repetitions and asides match no
/// keyword pair, so they change nothing.
/// </summary>
internal sealed partial class ToolUseRequest
{
    private const string Hedge = "not totally sure how to put it";
    private const string Clarified = "To be clear, what I mean is:";

    private static readonly string[] NotItems = ["the", "pending", "one", "earlier", "that", "your", "my", "an"];

    /// <summary>The goal, or null while it is unknown or only hedged.</summary>
    public ToolUseGoal? Goal { get; private set; }

    /// <summary>The customer's full name, or null.</summary>
    public string? Name { get; private set; }

    /// <summary>The item of the order, or null.</summary>
    public string? Item { get; private set; }

    /// <summary>The new email address, or null.</summary>
    public string? NewEmail { get; private set; }

    /// <summary>The goal's argument: the new email or the item.</summary>
    public string? Argument => Goal == ToolUseGoal.UpdateEmail ? NewEmail : Item;

    /// <summary>The slots the goal needs that no message has given yet (all of them, as far as known, while the goal is unknown).</summary>
    public IReadOnlyList<string> MissingSlots
    {
        get
        {
            var missing = new List<string>();
            if (Name is null) missing.Add(ToolUseTask.NameSlot);
            if (Goal is ToolUseGoal.CancelOrder or ToolUseGoal.OrderTotal && Item is null) missing.Add(ToolUseTask.ItemSlot);
            if (Goal is ToolUseGoal.UpdateEmail && NewEmail is null) missing.Add(ToolUseTask.NewEmailSlot);
            return missing;
        }
    }

    /// <summary>Reads every user message of <paramref name="messages"/>, oldest first.</summary>
    public static ToolUseRequest Read(IEnumerable<ChatMessage> messages)
    {
        var request = new ToolUseRequest();
        foreach (var message in messages.Where(m => m.Role == ChatRole.User)) request.Add(message.Text ?? "");
        return request;
    }

    private void Add(string text)
    {
        text = ResolveCorrections(text);
        int clarified = text.IndexOf(Clarified, StringComparison.Ordinal);
        string stated = clarified < 0 ? text : text[..clarified];
        string? clear = clarified < 0 ? null : text[(clarified + Clarified.Length)..];
        if (clear is not null) Goal = GoalOf(clear) ?? Goal;
        if (Goal is null && !stated.Contains(Hedge, StringComparison.Ordinal)) Goal = GoalOf(stated);

        if (EmailPattern().Matches(text).LastOrDefault() is { } email) NewEmail = email.Value;
        if (NamePattern().Matches(text).LastOrDefault() is { } name) Name = name.Value;
        if (ItemIn(text) is { } item) Item = item;
    }

    /// <summary>Replaces every <c>"wrong (sorry, I mean right)"</c> with <c>right</c>; the wrong value has the right one's length.</summary>
    private static string ResolveCorrections(string text)
    {
        Match m;
        while ((m = Correction().Match(text)).Success)
        {
            string right = m.Groups["right"].Value;
            int start = Math.Max(0, m.Index - right.Length);
            text = string.Concat(text.AsSpan(0, start), right, text.AsSpan(m.Index + m.Length));
        }
        return text;
    }

    private static ToolUseGoal? GoalOf(string text)
    {
        var words = Words().Matches(text).Select(w => w.Value.ToLowerInvariant()).ToList();
        bool Has(string keyword) => words.Any(w => Near(w, keyword));
        if (Has("total") && Has("order")) return ToolUseGoal.OrderTotal;
        if (Has("many") && Has("orders")) return ToolUseGoal.OrderCount;
        if (Has("cancel") && Has("pending")) return ToolUseGoal.CancelOrder;
        if (Has("change") && Has("email")) return ToolUseGoal.UpdateEmail;
        if (Has("email") && Has("address")) return ToolUseGoal.CustomerEmail;
        return null;
    }

    /// <summary>The item: the answer in <c>"My item is lamp."</c> / <c>"I mean lamp."</c>, or the word before "order".</summary>
    private static string? ItemIn(string text)
    {
        if (ItemAnswer().Match(text) is { Success: true } answer) return answer.Groups["item"].Value;
        var words = Words().Matches(text).Select(w => w.Value).ToList();
        for (int i = 1; i < words.Count; i++)
        {
            string word = words[i].ToLowerInvariant();
            if ((word == "order" || (Near(word, "order") && !Near(word, "orders")))
                && words[i - 1].All(char.IsLower) && !NotItems.Any(n => Near(words[i - 1], n)))
            {
                return words[i - 1];
            }
        }
        return null;
    }

    /// <summary>
    /// Whether <paramref name="word"/> is <paramref name="keyword"/> up to one typo (a swap of neighbours, one letter
    /// dropped or doubled) that keeps the first letter; words under four letters must match exactly.
    /// </summary>
    private static bool Near(string word, string keyword)
    {
        if (word == keyword) return true;
        if (keyword.Length < 4 || word.Length == 0 || word[0] != keyword[0] || Math.Abs(word.Length - keyword.Length) > 1) return false;
        if (word.Length == keyword.Length)
        {
            var diff = Enumerable.Range(0, word.Length).Where(i => word[i] != keyword[i]).ToArray();
            return diff.Length == 2 && diff[1] == diff[0] + 1 && word[diff[0]] == keyword[diff[1]] && word[diff[1]] == keyword[diff[0]];
        }
        var (longer, shorter) = word.Length > keyword.Length ? (word, keyword) : (keyword, word);
        return Enumerable.Range(0, longer.Length).Any(i => longer.Remove(i, 1) == shorter);
    }

    [GeneratedRegex(@" \(sorry, I mean (?<right>[^)]+)\)")]
    private static partial Regex Correction();

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]+")]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"(?<![\w'])[A-Z][a-z]+ [A-Z][a-z]+(?![\w'])")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"(?:\bMy \w+ is|\bI mean) (?<item>[a-z]+)\.")]
    private static partial Regex ItemAnswer();

    [GeneratedRegex(@"\p{L}+")]
    private static partial Regex Words();
}
