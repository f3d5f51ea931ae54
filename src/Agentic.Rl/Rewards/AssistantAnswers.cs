using Agentic.Core.Agents;
using Agentic.Training.Tasks.SearchQa;
using Microsoft.Extensions.AI;

namespace Agentic.Rl.Rewards;

/// <summary>What the answer-scoring shapers read from the agent's own messages.</summary>
internal static class AssistantAnswers
{
    /// <summary>The text of every assistant message, in order.</summary>
    public static IEnumerable<string> Texts(Trajectory trajectory) =>
        trajectory.Messages.Where(m => m.Role == ChatRole.Assistant).Select(m => m.Text ?? "");

    /// <summary>The final answer: the last complete <c>&lt;answer&gt;</c> block of the assistant messages, if any.</summary>
    public static string? Final(Trajectory trajectory) => Texts(trajectory).Select(AutoRefineFormat.Answer).LastOrDefault(a => a is not null);
}
