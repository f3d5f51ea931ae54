namespace Agentic.Core.Agents;

/// <summary>One task an agent is asked to solve: an id, the suite it belongs to, and suite-specific data.</summary>
/// <param name="Id">Stable id (unique within the suite and split).</param>
/// <param name="Suite">Name of the task suite, for example <c>tooluse</c>.</param>
/// <param name="Instruction">The user's goal in natural language.</param>
/// <param name="Difficulty">Suite-specific difficulty (for example the number of tools the goal needs).</param>
public record AgentTask(string Id, string Suite, string Instruction, int Difficulty = 1);

/// <summary>A source of tasks: a seeded, reproducible stream for training and a fixed held-out list for evaluation.</summary>
public interface IAgentTaskSource
{
    /// <summary>Name of the suite.</summary>
    string Suite { get; }

    /// <summary>Draws <paramref name="count"/> training tasks from <paramref name="random"/>.</summary>
    IReadOnlyList<AgentTask> SampleTraining(Random random, int count);

    /// <summary>The first <paramref name="count"/> held-out tasks (never produced by <see cref="SampleTraining"/>).</summary>
    IReadOnlyList<AgentTask> HeldOut(int count);
}
