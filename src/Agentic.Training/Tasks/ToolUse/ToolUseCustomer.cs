using System.Text;
using System.Text.RegularExpressions;
using Agentic.Core.ChatCompletion;
using Agentic.Training.Noise;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.ToolUse;

/// <summary>
/// The scripted customer of the <c>tooluse</c> suite, as an <see cref="IChatClient"/> (an LLM given the same brief can
/// replace it). It reads its brief from the system message (<see cref="Brief"/>): it opens with its request word for word,
/// answers a question that names one of its details with <c>"My {detail} is {value}."</c>, and repeats its request when
/// asked anything else. It never invents details. Deterministic: the same conversation always gets the same reply.
/// </summary>
public sealed partial class ToolUseCustomer : ScriptedChatClient
{
    /// <summary>The brief of the customer of <paramref name="task"/>: its request and the details it can give.</summary>
    /// <param name="task">The task.</param>
    /// <returns>The text of the customer's system message.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is <see langword="null"/>.</exception>
    public static string Brief(ToolUseTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var brief = new StringBuilder("You are a customer of an online shop, chatting with its support agent.\n")
            .Append("Your request: ").Append(task.Instruction).Append('\n')
            .Append("Your details:\n");
        foreach (var (slot, value) in task.UserSlots) brief.Append("- ").Append(slot).Append(": ").Append(value).Append('\n');
        return brief.Append("Open with your request, word for word. When the agent asks for one of your details, answer \"My <detail> is <value>.\"; ")
            .Append("when it asks anything else, repeat your request. Never invent details.").ToString();
    }

    /// <inheritdoc />
    protected override ChatMessage Respond(IReadOnlyList<ChatMessage> messages, ChatOptions? options)
    {
        var brief = messages.FirstOrDefault(m => m.Role == ChatRole.System)?.Text ?? "";
        var request = RequestLine().Match(brief) is { Success: true } r ? r.Groups["request"].Value.Trim() : "";
        bool opening = !messages.Any(m => m.Role == ChatRole.Assistant);
        if (opening) return new ChatMessage(ChatRole.Assistant, request);

        var agent = messages[^1].Text ?? "";
        var answers = DetailLine().Matches(brief)
            .Where(d => UserTextNoise.Mentions(agent, d.Groups["slot"].Value))
            .Select(d => $"My {d.Groups["slot"].Value} is {d.Groups["value"].Value.Trim()}.")
            .ToList();
        return new ChatMessage(ChatRole.Assistant, answers.Count > 0 ? string.Join(" ", answers) : request);
    }

    [GeneratedRegex(@"^Your request: (?<request>.+)$", RegexOptions.Multiline)]
    private static partial Regex RequestLine();

    [GeneratedRegex(@"^- (?<slot>[^:\n]+): (?<value>[^\n]+)$", RegexOptions.Multiline)]
    private static partial Regex DetailLine();
}
