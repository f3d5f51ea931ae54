using System.Globalization;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.Addition;

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

    /// <summary>The full demonstration: the prompt plus the assistant's answer.</summary>
    public IList<ChatMessage> ToDemonstration() => [new ChatMessage(ChatRole.User, Question), new ChatMessage(ChatRole.Assistant, Answer)];

    /// <summary>Exact match of a completion against the answer (surrounding whitespace ignored).</summary>
    public bool IsCorrect(string completion) => string.Equals(completion?.Trim(), Answer, StringComparison.Ordinal);
}
