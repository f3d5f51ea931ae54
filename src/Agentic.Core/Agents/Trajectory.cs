using Microsoft.Extensions.AI;

namespace Agentic.Core.Agents;

/// <summary>How an episode ended.</summary>
public enum EpisodeEnd
{
    /// <summary>The environment declared the episode done (a final answer or a terminal state).</summary>
    Done,

    /// <summary>The loop's turn limit was reached.</summary>
    TurnLimit,

    /// <summary>The loop's token budget was reached.</summary>
    TokenBudget,
}

/// <summary>Something noteworthy during an episode: a malformed output, a tool timeout, an injected noise.</summary>
/// <param name="Turn">Zero-based assistant turn.</param>
/// <param name="Kind">A short kind, for example <c>malformed_output</c>, <c>tool_timeout</c>, <c>noise:tool_failure</c>.</param>
/// <param name="Detail">Human-readable detail.</param>
public sealed record TrajectoryEvent(int Turn, string Kind, string Detail);

/// <summary>
/// A finished episode: the messages, and, for a local token policy, the whole token sequence with its loss mask and
/// the log-probability of every policy token (so RL never re-tokenizes), plus reward, outcome figures and events.
/// </summary>
/// <remarks>
/// <see cref="TokenIds"/>, <see cref="LossMask"/> and <see cref="LogProbs"/> have the same length; the mask is true
/// exactly on tokens the policy sampled, and <see cref="LogProbs"/> is 0 elsewhere. They are empty for a policy that
/// is a remote <see cref="IChatClient"/>.
/// </remarks>
public sealed record Trajectory(
    AgentTask Task,
    ulong Seed,
    IReadOnlyList<ChatMessage> Messages,
    int[] TokenIds,
    bool[] LossMask,
    float[] LogProbs,
    int PromptLength,
    double Reward,
    IReadOnlyDictionary<string, double> Info,
    EpisodeEnd End,
    int Turns,
    IReadOnlyList<TrajectoryEvent> Events)
{
    /// <summary>Whether the environment reported success (<c>Info["success"] &gt; 0</c>).</summary>
    public bool Success => Info.TryGetValue("success", out var s) && s > 0;

    /// <summary>Number of events of the given kind.</summary>
    public int Count(string kind) => Events.Count(e => e.Kind == kind);
}
