using Microsoft.Extensions.AI;

namespace Agentic.Core.Agents;

/// <summary>
/// A complete task suite: the task source, a factory for its environment, and its scripted expert (a policy that
/// solves every task, for warm-start demonstrations and as an upper bound).
/// </summary>
public interface ITaskSuite : IAgentTaskSource
{
    /// <summary>Creates a fresh environment (one per concurrent episode).</summary>
    AgentEnvironment CreateEnvironment();

    /// <summary>Creates the suite's scripted expert.</summary>
    IChatClient CreateExpert();
}
