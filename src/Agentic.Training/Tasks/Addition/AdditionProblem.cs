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

    /// <summary>
    /// The reply first works the columns in a think block, most significant first: the digit-wise sums modulo 10 of
    /// the right-aligned operands, a space, then each column's carry-out (1 when its two digits sum to 10 or more);
    /// then the sum: <c>&lt;think&gt;579 000&lt;/think&gt;579</c> for 123+456, <c>&lt;think&gt;068 101&lt;/think&gt;1078</c>
    /// for 159+919. Every step reads its inputs at a fixed distance in the same direction, the form relative (rotary)
    /// position embeddings learn fastest, and carries become short look-backs instead of a chain.
    /// Exact match is judged on the text after the think block only.
    /// </summary>
    ColumnScratchpad,
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
        AdditionFormat.ColumnScratchpad => $"<think>{ColumnWork()}</think>{Answer}",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>The full demonstration: the prompt plus the assistant's reply.</summary>
    public IList<ChatMessage> ToDemonstration(AdditionFormat format = AdditionFormat.Plain) =>
        [new ChatMessage(ChatRole.User, Question), new ChatMessage(ChatRole.Assistant, Reply(format))];

    private string ColumnWork()
    {
        var a = A.ToString(CultureInfo.InvariantCulture);
        var b = B.ToString(CultureInfo.InvariantCulture);
        int width = Math.Max(a.Length, b.Length);
        a = a.PadLeft(width, '0');
        b = b.PadLeft(width, '0');
        var sums = new char[width];
        var carries = new char[width];
        for (int i = 0; i < width; i++)
        {
            int column = (a[i] - '0') + (b[i] - '0');
            sums[i] = (char)('0' + column % 10);
            carries[i] = column >= 10 ? '1' : '0';
        }
        return $"{new string(sums)} {new string(carries)}";
    }

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
