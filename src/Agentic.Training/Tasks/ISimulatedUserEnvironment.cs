using Agentic.Core.Agents;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks;

/// <summary>
/// An environment with a simulated user in the loop (tau-bench style): the user is an <see cref="IChatClient"/> that
/// writes the opening request and answers the agent's questions. Decorators (user noise, logging) wrap it by replacing
/// <see cref="SimulatedUser"/> with a client that delegates to the current one; <see cref="GetUserSlots"/> names the
/// facts of a task that the user knows, which is what user noise may withhold, blur or correct.
/// </summary>
/// <remarks>
/// The environment calls the user with the user's own view of the conversation: a system message with the user's brief
/// (its request and its details), then the agent's messages as <see cref="ChatRole.User"/> and the user's own earlier
/// messages as <see cref="ChatRole.Assistant"/>; the agent's latest message is always last. It passes no
/// <see cref="ChatOptions.ConversationId"/>, so one wrapper serves one episode at a time, like the environment itself.
/// </remarks>
public interface ISimulatedUserEnvironment
{
    /// <summary>Gets or sets the simulated user. Replace it only between episodes.</summary>
    /// <exception cref="ArgumentNullException">The value set is <see langword="null"/>.</exception>
    IChatClient SimulatedUser { get; set; }

    /// <summary>Gets the facts of <paramref name="task"/> that the simulated user knows.</summary>
    /// <param name="task">A task of this environment's suite.</param>
    /// <returns>Slot name (as an agent would ask for it) → value (as the user types it).</returns>
    /// <exception cref="ArgumentException"><paramref name="task"/> does not belong to this environment's suite.</exception>
    IReadOnlyDictionary<string, string> GetUserSlots(AgentTask task);
}
