using System.Text;
using System.Text.RegularExpressions;
using Agentic.Core.ChatCompletion;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.LongContext;

/// <summary>
/// The scripted user of the <c>longcontext</c> suite, as an <see cref="IChatClient"/> (an LLM given the same brief can
/// replace it): the person who has a question about a long document and hands it over one section at a time. It reads
/// its brief from the system message (<see cref="Brief"/>) and counts its own earlier messages: it opens with its question
/// on the first line and section 1 below it, pastes the next section after each of the reader's messages, and after the
/// last section asks for the answer. Deterministic: the same conversation always gets the same reply.
/// </summary>
/// <remarks>
/// The environment wraps what the user writes in the suite's markup (<c>&lt;problem&gt;</c>, <c>&lt;section&gt;</c>), so
/// user noise (<see cref="Noise.NoisyUserChatClient"/>) perturbs the question and the pasted text, never the markup.
/// </remarks>
public sealed partial class LongContextReader : ScriptedChatClient
{
    /// <summary>What the user writes once every section has been handed over.</summary>
    public const string LastSectionPrompt = "That was the last section. Give your answer in <answer> ... </answer>.";

    /// <summary>The brief of the user of <paramref name="task"/>: its question and the document's sections.</summary>
    /// <param name="task">The task.</param>
    /// <returns>The text of the user's system message.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="task"/> is <see langword="null"/>.</exception>
    public static string Brief(LongContextTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var brief = new StringBuilder("You have a question about a long document and hand the document to a reader one section at a time.\n")
            .Append("Your question: ").Append(task.Instruction).Append('\n');
        for (int i = 0; i < task.Chunks.Count; i++) brief.Append("Section ").Append(i + 1).Append(": ").Append(task.Chunks[i]).Append('\n');
        return brief.Append("Open with your question on the first line and section 1 on the next. After each of the reader's messages, paste the next ")
            .Append("section, word for word. After the last section, write \"").Append(LastSectionPrompt).Append('"').ToString();
    }

    /// <inheritdoc />
    protected override ChatMessage Respond(IReadOnlyList<ChatMessage> messages, ChatOptions? options)
    {
        var brief = messages.FirstOrDefault(m => m.Role == ChatRole.System)?.Text ?? "";
        var question = QuestionLine().Match(brief) is { Success: true } q ? q.Groups["question"].Value.Trim() : "";
        var sections = SectionLine().Matches(brief).Select(m => m.Groups["text"].Value).ToArray();
        int sent = messages.Count(m => m.Role == ChatRole.Assistant);
        string reply = sent == 0 ? $"{question}\n{sections.FirstOrDefault()}"
            : sent < sections.Length ? sections[sent]
            : LastSectionPrompt;
        return new ChatMessage(ChatRole.Assistant, reply);
    }

    [GeneratedRegex(@"^Your question: (?<question>.+)$", RegexOptions.Multiline)]
    private static partial Regex QuestionLine();

    [GeneratedRegex(@"^Section \d+: (?<text>.*?)(?=\nSection \d+: |\nOpen with your question)", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex SectionLine();
}
