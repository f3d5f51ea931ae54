using Agentic.Core.Agents;
using Microsoft.Extensions.AI;

namespace Agentic.Rl.Tests.Rollouts;

/// <summary>A one-turn world: the agent must say a given letter.</summary>
internal sealed class EchoSuite(string name) : ITaskSuite
{
    public string Suite => name;

    public IReadOnlyList<AgentTask> SampleTraining(Random random, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => new AgentTask($"{name}-{random.Next(1000)}", name, $"Say {(char)('a' + random.Next(3))}."))];

    public IReadOnlyList<AgentTask> HeldOut(int count) => SampleTraining(new Random(7), count);

    public AgentEnvironment CreateEnvironment() => new EchoEnvironment();

    public IChatClient CreateExpert() => throw new NotSupportedException();
}

internal sealed class EchoEnvironment : AgentEnvironment
{
    private string _word = "";

    public override IReadOnlyList<AIFunction> Tools => [];

    public override ValueTask<IReadOnlyList<ChatMessage>> ResetAsync(AgentTask task, ulong seed, CancellationToken cancellationToken = default)
    {
        _word = task.Instruction[4..5];
        return ValueTask.FromResult<IReadOnlyList<ChatMessage>>([new ChatMessage(ChatRole.User, task.Instruction)]);
    }

    public override ValueTask<EnvironmentStep> StepAsync(AgentAction action, CancellationToken cancellationToken = default)
    {
        double success = action.Message.Text.Contains(_word, StringComparison.Ordinal) ? 1 : 0;
        return ValueTask.FromResult(new EnvironmentStep([], success, true, new Dictionary<string, double> { ["success"] = success }));
    }
}

