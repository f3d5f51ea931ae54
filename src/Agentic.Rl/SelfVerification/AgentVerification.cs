using System.Text;
using System.Text.RegularExpressions;
using Agentic.Core.Agents;
using Agentic.Training.Tasks.SearchQa;
using Microsoft.Extensions.AI;

namespace Agentic.Rl.SelfVerification;

/// <summary>
/// Self-verification pairs from agent episodes that end in an <c>&lt;answer&gt;</c> block (<c>searchqa</c>,
/// <c>longcontext</c>): the problem is everything the agent was shown (the user's and the tools' messages, in order),
/// the answer its final <c>&lt;answer&gt;</c>, and the pair is correct when the episode succeeded. Feed the policy's own
/// episodes into a <see cref="SelfVerificationTrainer"/>'s buffer; <see cref="Demonstrations"/> makes warm-start pairs
/// from an expert's episodes.
/// </summary>
public static class AgentVerification
{
    /// <summary>The pair of an episode, or <see langword="null"/> when no assistant message holds a complete answer block.</summary>
    /// <param name="trajectory">A finished episode.</param>
    /// <returns>(what the agent was shown, its last answer, whether the episode succeeded).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="trajectory"/> is <see langword="null"/>.</exception>
    public static VerificationExample? FromTrajectory(Trajectory trajectory)
    {
        ArgumentNullException.ThrowIfNull(trajectory);
        var answer = trajectory.Messages.Where(m => m.Role == ChatRole.Assistant).Select(m => AutoRefineFormat.Answer(m.Text ?? ""))
            .LastOrDefault(a => a is not null);
        return answer is null ? null : new VerificationExample(Shown(trajectory.Messages), answer, trajectory.Success);
    }

    /// <summary>
    /// Warm-start pairs from a successful expert episode: its own answer (correct) and, in turn, a wrong one: another value
    /// of the answer's shape in what was shown (another code, another name), else the answer with one character changed.
    /// </summary>
    /// <param name="trajectory">A successful expert episode.</param>
    /// <param name="random">Picks the wrong value.</param>
    /// <returns>Both pairs; empty when the episode has no answer or did not succeed.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static IReadOnlyList<VerificationExample> Demonstrations(Trajectory trajectory, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (FromTrajectory(trajectory) is not { Correct: true } right) return [];
        return [right, right with { Answer = WrongAnswer(right.Problem, right.Answer, random), Correct = false }];
    }

    /// <summary>A plausible wrong answer: another value of <paramref name="answer"/>'s shape in <paramref name="problem"/>, else a one-character change.</summary>
    /// <param name="problem">What the agent was shown.</param>
    /// <param name="answer">The right answer.</param>
    /// <param name="random">Picks among the candidates.</param>
    /// <returns>A value different from <paramref name="answer"/> (ignoring case).</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static string WrongAnswer(string problem, string answer, Random random)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(random);
        var shape = answer.All(char.IsAsciiDigit) && answer.Length > 0 ? $@"\b\d{{{answer.Length}}}\b"
            : answer.Length > 1 && char.IsUpper(answer[0]) && !answer.Contains(' ', StringComparison.Ordinal) ? @"\b[A-Z][a-z]+\b"
            : null;
        var candidates = shape is null ? [] : Regex.Matches(problem, shape).Select(m => m.Value)
            .Where(v => !v.Equals(answer, StringComparison.OrdinalIgnoreCase) && !Stopwords.Contains(v)).Distinct().ToArray();
        if (candidates.Length > 0) return candidates[random.Next(candidates.Length)];
        return Perturb(answer, random);
    }

    /// <summary>The answer with one character changed: a digit to another digit, else a letter to another letter, else one appended.</summary>
    private static string Perturb(string answer, Random random)
    {
        var positions = Enumerable.Range(0, answer.Length).Where(i => char.IsAsciiLetterOrDigit(answer[i])).ToArray();
        if (positions.Length == 0) return answer + "x";
        int at = positions[random.Next(positions.Length)];
        char c = answer[at];
        char other = char.IsAsciiDigit(c) ? (char)('0' + ((c - '0' + 1 + random.Next(9)) % 10))
            : (char)((char.IsUpper(c) ? 'A' : 'a') + ((char.ToLowerInvariant(c) - 'a' + 1 + random.Next(25)) % 26));
        return string.Concat(answer.AsSpan(0, at), other.ToString(), answer.AsSpan(at + 1));
    }

    /// <summary>What the agent was shown: the user's and the tools' messages (text and tool results), in order.</summary>
    private static string Shown(IReadOnlyList<ChatMessage> messages)
    {
        var shown = new StringBuilder();
        foreach (var message in messages.Where(m => m.Role == ChatRole.User || m.Role == ChatRole.Tool))
        {
            foreach (var content in message.Contents)
            {
                var text = content switch
                {
                    TextContent t => t.Text,
                    FunctionResultContent r => r.Result?.ToString(),
                    _ => null,
                };
                if (string.IsNullOrWhiteSpace(text)) continue;
                if (shown.Length > 0) shown.Append('\n');
                shown.Append(text.Trim());
            }
        }
        return shown.ToString();
    }

    /// <summary>Capitalised words that start sentences rather than name things.</summary>
    private static readonly HashSet<string> Stopwords = new(StringComparer.Ordinal) { "The", "What", "Which", "Where", "Who", "When", "That", "Answer", "Search", "No", "Our", "A", "An" };
}
