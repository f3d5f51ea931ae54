using Agentic.Training.Tasks;
using Agentic.Core.Agents;
using Microsoft.Extensions.AI;

namespace Agentic.Rl.Tests.Rollouts;

/// <summary>A one-turn world: the agent must say a given letter.</summary>
internal sealed class EchoSuite(string name, bool withExpert = false, bool withTagTool = true) : ITaskSuite
{
    public string Suite => name;

    public IReadOnlyList<AgentTask> SampleTraining(Random random, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => new AgentTask($"{name}-{random.Next(1000)}", name, $"Say {(char)('a' + random.Next(3))}."))];

    public IReadOnlyList<AgentTask> HeldOut(int count) => SampleTraining(new Random(7), count);

    public AgentEnvironment CreateEnvironment() => new EchoEnvironment(withTagTool);

    public IChatClient CreateExpert() => withExpert ? new EchoExpert() : throw new NotSupportedException();
}

/// <summary>The scripted expert of the echo world: says the letter of the first "Say x." in the user's messages.</summary>
internal sealed class EchoExpert : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var text = string.Join(" ", messages.Where(m => m.Role == ChatRole.User).Select(m => m.Text));
        int at = text.IndexOf("Say ", StringComparison.Ordinal);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, at >= 0 && at + 4 < text.Length ? text[at + 4].ToString() : "?")));
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

internal sealed class EchoEnvironment(bool withTagTool = true) : AgentEnvironment, ITagToolEnvironment
{
    private string _word = "";

    /// <summary>A tag tool the echo task never needs, so that tool noise has something to reach (the trainer plans
    /// noisy rollouts only for suites noise can reach).</summary>
    public IList<AIFunction> TagTools { get; } = withTagTool ? [AIFunctionFactory.Create(() => "echo", "echo")] : [];

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


/// <summary>A two-turn world: the agent may say anything first; its second message must hold the letter of "Say x.".</summary>
internal sealed class SecondTurnEchoSuite(string name) : ITaskSuite
{
    public string Suite => name;

    public IReadOnlyList<AgentTask> SampleTraining(Random random, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => new AgentTask($"{name}-{random.Next(1000)}", name, $"Say {(char)('a' + random.Next(3))}."))];

    public IReadOnlyList<AgentTask> HeldOut(int count) => SampleTraining(new Random(7), count);

    public AgentEnvironment CreateEnvironment() => new SecondTurnEchoEnvironment();

    public IChatClient CreateExpert() => new EchoExpert();
}

internal sealed class SecondTurnEchoEnvironment : AgentEnvironment, ITagToolEnvironment
{
    private string _word = "";
    private int _turn;

    public IList<AIFunction> TagTools { get; } = [AIFunctionFactory.Create(() => "echo", "echo")];

    public override IReadOnlyList<AIFunction> Tools => [];

    public override ValueTask<IReadOnlyList<ChatMessage>> ResetAsync(AgentTask task, ulong seed, CancellationToken cancellationToken = default)
    {
        _word = task.Instruction[4..5];
        _turn = 0;
        return ValueTask.FromResult<IReadOnlyList<ChatMessage>>([new ChatMessage(ChatRole.User, task.Instruction)]);
    }

    public override ValueTask<EnvironmentStep> StepAsync(AgentAction action, CancellationToken cancellationToken = default)
    {
        if (_turn++ == 0) return ValueTask.FromResult(new EnvironmentStep([new ChatMessage(ChatRole.User, "Again.")], 0, false, new Dictionary<string, double>()));
        double success = action.Message.Text.Contains(_word, StringComparison.Ordinal) ? 1 : 0;
        return ValueTask.FromResult(new EnvironmentStep([], success, true, new Dictionary<string, double> { ["success"] = success }));
    }
}
