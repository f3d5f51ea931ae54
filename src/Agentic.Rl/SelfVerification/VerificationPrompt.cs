using Microsoft.Extensions.AI;

namespace Agentic.Rl.SelfVerification;

/// <summary>A (problem, answer) pair and whether the answer is correct.</summary>
/// <param name="Problem">The problem as the generator saw it.</param>
/// <param name="Answer">The answer to judge (typically the policy's own).</param>
/// <param name="Correct">Ground truth from the task's verifier.</param>
public sealed record VerificationExample(string Problem, string Answer, bool Correct);

/// <summary>
/// How a verification question is put to the policy and how its verdict is read. The default asks
/// "Is the answer correct?" and expects a reply starting with <c>yes</c> or <c>no</c>, optionally after a
/// <c>&lt;think&gt;...&lt;/think&gt;</c> block of working. Subclass it for another format (override <see cref="Reply"/> to
/// demonstrate worked verdicts).
/// </summary>
public class VerificationPrompt
{
    /// <summary>The verification conversation for <paramref name="example"/> (without the verdict).</summary>
    public virtual IList<ChatMessage> Format(VerificationExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        return [new ChatMessage(ChatRole.User, $"Check: {example.Problem} Answer: {example.Answer}. Is the answer correct?")];
    }

    /// <summary>The reply that states the correct verdict (for warm-start demonstrations).</summary>
    public virtual string Verdict(bool correct) => correct ? "yes" : "no";

    /// <summary>The whole demonstrated reply for <paramref name="example"/>; the default is the bare <see cref="Verdict"/>.</summary>
    public virtual string Reply(VerificationExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        return Verdict(example.Correct);
    }

    /// <summary>
    /// Reads a reply: true for "yes", false for "no", null when it states neither (an invalid verdict). When the reply
    /// holds a <c>&lt;/think&gt;</c>, the verdict is what follows the last one.
    /// </summary>
    public virtual bool? Parse(string reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        int end = reply.LastIndexOf("</think>", StringComparison.Ordinal);
        var text = (end >= 0 ? reply[(end + "</think>".Length)..] : reply).Trim().ToLowerInvariant();
        if (text.StartsWith("yes", StringComparison.Ordinal)) return true;
        if (text.StartsWith("no", StringComparison.Ordinal)) return false;
        return null;
    }

    /// <summary>A demonstration: the question and the correct reply (<see cref="Reply"/>).</summary>
    public IList<ChatMessage> Demonstration(VerificationExample example)
    {
        var messages = Format(example);
        messages.Add(new ChatMessage(ChatRole.Assistant, Reply(example)));
        return messages;
    }
}
