using Microsoft.Extensions.AI;

namespace Agentic.Core.Agents;

/// <summary>What the agent did in one turn, as the environment sees it.</summary>
/// <param name="Message">The assistant message (text and any <see cref="FunctionCallContent"/>).</param>
/// <param name="ToolResults">Results of the tool calls the loop ran for this message, in call order.</param>
/// <param name="ParseErrors">Malformed parts of the model output (already reported to the agent in-band).</param>
public sealed record AgentAction(ChatMessage Message, IReadOnlyList<FunctionResultContent> ToolResults, IReadOnlyList<string> ParseErrors);

/// <summary>The environment's answer to an action.</summary>
/// <param name="Observation">Messages to show the agent next (a user reply; tool results are added by the loop).</param>
/// <param name="Reward">Reward for this step (the outcome reward usually arrives with <paramref name="Done"/>).</param>
/// <param name="Done">Whether the episode is over.</param>
/// <param name="Info">Named figures for logs and reward shaping (for example <c>success</c>).</param>
public sealed record EnvironmentStep(IReadOnlyList<ChatMessage> Observation, double Reward, bool Done, IReadOnlyDictionary<string, double> Info)
{
    /// <summary>A step that shows nothing new and goes on.</summary>
    public static EnvironmentStep Continue { get; } = new([], 0, false, new Dictionary<string, double>());
}

/// <summary>
/// A world an agent acts in: tools (as <see cref="AIFunction"/>s, invoked by the agent loop with timeouts), a user,
/// and a verifiable reward. Subclass it for a new suite: <see cref="ResetAsync"/> sets up the task and returns the
/// opening messages; <see cref="StepAsync"/> sees each assistant turn (with the tool results the loop obtained) and
/// answers with the user's reply, a reward and whether the episode is done.
/// </summary>
/// <remarks>An instance serves one episode at a time; create one per concurrent rollout.</remarks>
public abstract class AgentEnvironment
{
    /// <summary>The tools the agent may call in the current episode.</summary>
    public abstract IReadOnlyList<AIFunction> Tools { get; }

    /// <summary>Starts an episode of <paramref name="task"/>; returns the opening messages (system and/or user).</summary>
    public abstract ValueTask<IReadOnlyList<ChatMessage>> ResetAsync(AgentTask task, ulong seed, CancellationToken cancellationToken = default);

    /// <summary>Answers one assistant turn.</summary>
    /// <remarks>
    /// When the turn called tools, the loop has already run them and will show their results to the agent; return
    /// <see cref="EnvironmentStep.Continue"/> unless the environment ends the episode. A turn without tool calls is a
    /// message to the user: return the user's reply, or the outcome reward with <c>Done</c> when it is a final answer.
    /// </remarks>
    public abstract ValueTask<EnvironmentStep> StepAsync(AgentAction action, CancellationToken cancellationToken = default);

    /// <summary>
    /// Events that happened inside the environment since the last call (for example injected noise); the loop calls
    /// this after every turn and records them in the trajectory. The default has none.
    /// </summary>
    /// <param name="turn">The assistant turn the events belong to.</param>
    public virtual IReadOnlyList<TrajectoryEvent> TakeEvents(int turn) => [];

    /// <summary>
    /// Called when the loop ends the episode itself (turn limit, token budget): returns the outcome reward and figures
    /// for the state reached. The default gives 0 and <c>success = 0</c>.
    /// </summary>
    public virtual ValueTask<EnvironmentStep> TruncateAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(new EnvironmentStep([], 0, true, new Dictionary<string, double> { ["success"] = 0 }));
}
