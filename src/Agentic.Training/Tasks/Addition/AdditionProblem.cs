using System.Globalization;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.Addition;

/// <summary>How the assistant's demonstration is written.</summary>
public enum AdditionFormat
{
    /// <summary>The reply is the sum alone: <c>579</c>.</summary>
    Plain,

    /// <summary>
    /// The reply first writes the sum's digits least-significant first in a think block, then the sum:
    /// <c>&lt;think&gt;975&lt;/think&gt;579</c>. Writing digits in the order a carry propagates keeps each step local,
    /// which small transformers learn far faster (Lee et al., 2023, "Teaching Arithmetic to Small Transformers").
    /// Exact match is judged on the text after the think block only.
    /// </summary>
    ReversedScratchpad,
}

/// <summary>One addition problem, <c>A + B</c>, posed as a chat.</summary>
/// <param name="A">First operand (non-negative).</param>
/// <param name="B">Second operand (non-negative).</param>
public sealed record AdditionProblem(long A, long B)
{
    /// <summary>The exact answer.</summary>
    public long Sum => A + B;

    /// <summary>The user's question, for example <c>What is 123+456?</c>.</summary>
    public string Question => string.Create(CultureInfo.InvariantCulture, $"What is {A}+{B}?");

    /// <summary>The expected assistant reply: the sum in decimal digits.</summary>
    public string Answer => Sum.ToString(CultureInfo.InvariantCulture);

    /// <summary>The prompt conversation (one user message).</summary>
    public IList<ChatMessage> ToPrompt() => [new ChatMessage(ChatRole.User, Question)];

    /// <summary>The assistant's reply in the given format.</summary>
    public string Reply(AdditionFormat format) => format switch
    {
        AdditionFormat.Plain => Answer,
        AdditionFormat.ReversedScratchpad => $"<think>{new string(Answer.Reverse().ToArray())}</think>{Answer}",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>The full demonstration: the prompt plus the assistant's reply.</summary>
    public IList<ChatMessage> ToDemonstration(AdditionFormat format = AdditionFormat.Plain) =>
        [new ChatMessage(ChatRole.User, Question), new ChatMessage(ChatRole.Assistant, Reply(format))];

    /// <summary>
    /// Exact match of a completion against the answer: the text after the last <c>&lt;/think&gt;</c> (or the whole
    /// completion when there is none), surrounding whitespace ignored.
    /// </summary>
    public bool IsCorrect(string completion)
    {
        if (completion is null) return false;
        int end = completion.LastIndexOf("</think>", StringComparison.Ordinal);
        var final = end >= 0 ? completion[(end + "</think>".Length)..] : completion;
        return string.Equals(final.Trim(), Answer, StringComparison.Ordinal);
    }
}
