using Agentic.Core.ChatCompletion;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.LongContext;

/// <summary>
/// A scripted expert for the <c>longcontext</c> suite, as an <see cref="IChatClient"/>: after each section it keeps
/// the needles and assignments it has seen in a <c>&lt;memory&gt;</c> block, and answers as soon as its memory
/// resolves the question (an early exit once the evidence is complete), or after the last section. Before an answer
/// about a key it states the asked fact on a line of its own ("The special code for K is V"), then answers V.
/// </summary>
/// <remarks>
/// It reads through user noise: a self-correction counts as the corrected value; typos in the prose do not hide a fact
/// (a needle is "… K is V", an assignment "VAR X = V"); a fact about "that one", "the key I gave you earlier", or whose
/// name the user withheld ("… for is V", "= VAR Y") is about the asked key or variable; the memory holds each fact in its
/// clean form. When its memory cannot name what the question asks about after the last section, it asks
/// "Which key or variable do you mean?", once.
/// </remarks>
public sealed partial class LongContextExpert : ScriptedChatClient
{
    /// <summary>The expert's question when nothing it read names the asked key or variable.</summary>
    private const string WhichOne = "Which key or variable do you mean?";

    /// <inheritdoc />
    protected override ChatMessage Respond(IReadOnlyList<ChatMessage> messages, ChatOptions? options)
    {
        var userText = Corrected(string.Join("\n", messages.Where(m => m.Role == ChatRole.User).Select(m => m.Text)));
        var blocks = SectionBlock().Matches(userText);
        var said = SectionBlock().Replace(userText, "\n"); // what the user said outside the document: question, asides, clarifications
        bool last = blocks.Any(m => m.Groups["index"].Value == m.Groups["of"].Value)
            && messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text?.Contains("<section", StringComparison.Ordinal) == false;

        var raw = Fact().Matches(string.Join("\n", blocks.Select(m => m.Groups["text"].Value))).ToList();
        string? variable = AskedVariable().Match(said) is { Success: true } v ? v.Value : null;
        string? key = raw.Where(f => f.Groups["value"].Success).Select(f => f.Groups["key"].Value)
            .FirstOrDefault(k => !IsReference(k, code: true) && Regex.IsMatch(said, $@"\b{Regex.Escape(k)}\b"));
        var facts = raw.Select(f => f.Groups["value"].Success
                ? (Name: IsReference(f.Groups["key"].Value, code: true) ? key ?? AskedKey : f.Groups["key"].Value, Value: f.Groups["value"].Value, Code: true)
                : (Name: IsReference(f.Groups["name"].Value, code: false) ? variable ?? AskedVariableName : f.Groups["name"].Value, Value: f.Groups["target"].Value, Code: false))
            .Distinct()
            .ToList();

        var assignments = facts.Where(f => !f.Code).GroupBy(f => f.Name).ToDictionary(g => g.Key, g => g.First().Value);
        string? answer = null, lead = null;
        if (variable is not null || assignments.ContainsKey(AskedVariableName)) answer = Track(variable ?? AskedVariableName, assignments);
        else if (facts.FirstOrDefault(f => f.Code && (f.Name == key || f.Name == AskedKey)) is { Name: not null } needle)
        {
            answer = needle.Value;
            // Before the answer it states the fact it looks up, as the memory words it ("The special code for K is V"):
            // the code then follows the same tokens as in the memory, so writing it is copying what followed them
            // there, and the answer copies the code just written.
            if (needle.Name != AskedKey) lead = Needle(needle.Name, needle.Value) + "\n";
        }
        var memory = $"<memory>{string.Join("; ", facts.Select(f => f.Code ? Needle(f.Name, f.Value) : $"{f.Name} = {f.Value}"))}</memory>";
        bool named = variable is not null || key is not null;
        bool asked = messages.Any(m => m.Role == ChatRole.Assistant && (m.Text?.Contains(WhichOne, StringComparison.Ordinal) ?? false));
        var reply = answer is not null ? $"{memory}\n{lead}<answer>{answer}</answer>"
            : !last ? memory
            : !named && !asked ? $"{memory}\n{WhichOne}"
            : $"{memory}\n<answer>unknown</answer>";
        return new ChatMessage(ChatRole.Assistant, reply);
    }

    /// <summary>How the memory names the asked key or variable while the user has not named it.</summary>
    private const string AskedKey = "the asked key", AskedVariableName = "the asked variable";

    /// <summary>A needle as the memory and the stated fact word it.</summary>
    private static string Needle(string key, string value) => $"The special code for {key} is {value}";

    private static string? Track(string name, Dictionary<string, string> assignments)
    {
        for (int guard = 0; guard < 32 && assignments.TryGetValue(name, out var value); guard++)
        {
            if (!value.StartsWith("VAR ", StringComparison.Ordinal)) return value;
            name = value;
        }
        return null;
    }

    /// <summary>
    /// Whether a fact's name refers to the asked key or variable instead of naming it: "that one", "the … I gave you earlier",
    /// or a name the user withheld (an assignment without a name; a needle whose "key" is the leftover "for", or a typo of it:
    /// every key of the suite has at least five letters).
    /// </summary>
    private static bool IsReference(string name, bool code) =>
        name.Length == 0 || name == "that one" || name.EndsWith(" I gave you earlier", StringComparison.Ordinal) || (code && name.Length <= 4);

    /// <summary>Every self-correction ("imber (sorry, I mean ember)") replaced by the value it corrects to.</summary>
    private static string Corrected(string text)
    {
        for (var m = SelfCorrection().Match(text); m.Success; m = SelfCorrection().Match(text))
        {
            // The wrong value is the right one with one character changed (same length) or its last character doubled (one longer).
            string right = m.Groups["right"].Value;
            int wrongStart = Math.Max(0, m.Index - right.Length);
            if (wrongStart > 0 && char.IsLetterOrDigit(text[wrongStart - 1])) wrongStart--;
            text = string.Concat(text.AsSpan(0, wrongStart), right, text.AsSpan(m.Index + m.Length));
        }
        return text;
    }

    [GeneratedRegex(@"<section index=""(?<index>\d+)"" of=""(?<of>\d+)"">(?<text>.*?)</section>", RegexOptions.Singleline)]
    private static partial Regex SectionBlock();

    [GeneratedRegex(@"(?<key>that one|the key I gave you earlier|\w+) is (?<value>\d+)|(?:(?<name>VAR \w+|that one|the variable I gave you earlier) )?= (?<target>VAR \w+|\d+)")]
    private static partial Regex Fact();

    [GeneratedRegex(@"VAR \w+")]
    private static partial Regex AskedVariable();

    [GeneratedRegex(@" \(sorry, I mean (?<right>[^)\n]+)\)")]
    private static partial Regex SelfCorrection();
}
