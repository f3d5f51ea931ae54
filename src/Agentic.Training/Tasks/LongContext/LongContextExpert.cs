using Agentic.Core.ChatCompletion;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.LongContext;

/// <summary>
/// A scripted expert for the <c>longcontext</c> suite, as an <see cref="IChatClient"/>: after each section it keeps
/// the needles and assignments it has seen in a <c>&lt;memory&gt;</c> block, and answers as soon as its memory
/// resolves the question (an early exit once the evidence is complete), or after the last section.
/// </summary>
public sealed partial class LongContextExpert : ScriptedChatClient
{
    /// <inheritdoc />
    protected override ChatMessage Respond(IReadOnlyList<ChatMessage> messages, ChatOptions? options)
    {
        var userText = string.Join("\n", messages.Where(m => m.Role == ChatRole.User).Select(m => m.Text));
        var question = Problem().Match(userText).Groups[1].Value;
        var facts = Fact().Matches(userText).Select(m => m.Value.TrimEnd('.')).Distinct().ToList();
        var answer = Resolve(question, facts);
        bool last = userText.Contains("last section", StringComparison.Ordinal);
        var memory = $"<memory>{string.Join("; ", facts)}</memory>";
        var reply = answer is not null ? $"{memory}\n<answer>{answer}</answer>" : last ? $"{memory}\n<answer>unknown</answer>" : memory;
        return new ChatMessage(ChatRole.Assistant, reply);
    }

    private static string? Resolve(string question, List<string> facts)
    {
        var code = CodeQuestion().Match(question);
        if (code.Success)
        {
            var needle = facts.Select(f => CodeFact().Match(f)).FirstOrDefault(m => m.Success && m.Groups["key"].Value == code.Groups["key"].Value);
            return needle?.Groups["value"].Value;
        }
        var variable = VarQuestion().Match(question);
        if (!variable.Success) return null;
        var assignments = facts.Select(f => VarFact().Match(f)).Where(m => m.Success).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value);
        var name = variable.Groups["name"].Value;
        for (int guard = 0; guard < 32 && assignments.TryGetValue(name, out var value); guard++)
        {
            if (!value.StartsWith("VAR ", StringComparison.Ordinal)) return value;
            name = value[4..];
        }
        return null;
    }

    [GeneratedRegex(@"<problem>(.*?)</problem>", RegexOptions.Singleline)]
    private static partial Regex Problem();

    [GeneratedRegex(@"(The special code for \w+ is \d+|VAR \w+ = (VAR \w+|\d+))")]
    private static partial Regex Fact();

    [GeneratedRegex(@"special code for (?<key>\w+)\?")]
    private static partial Regex CodeQuestion();

    [GeneratedRegex(@"The special code for (?<key>\w+) is (?<value>\d+)")]
    private static partial Regex CodeFact();

    [GeneratedRegex(@"Which number does VAR (?<name>\w+) hold\?")]
    private static partial Regex VarQuestion();

    [GeneratedRegex(@"VAR (?<name>\w+) = (?<value>VAR \w+|\d+)")]
    private static partial Regex VarFact();
}
