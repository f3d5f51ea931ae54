using Agentic.Core.Agents;
using Agentic.Core.Randomness;
using Agentic.Training.Tasks.ToolUse;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tests.Tasks.ToolUse;

public class ToolUseSuiteTests
{
    private static async Task<IReadOnlyList<Trajectory>> RunExpert(ToolUseSuite suite, IReadOnlyList<AgentTask> tasks) =>
        await new AgentLoop(new ToolUseExpert(), new AgentLoopOptions { MaxTurns = 6 })
            .RunAsync(tasks.Select((t, i) => new AgentEpisode(suite.CreateEnvironment(), t, (ulong)i)).ToArray());

    [Fact]
    public async Task The_scripted_expert_solves_every_training_and_held_out_task()
    {
        var suite = new ToolUseSuite();
        var train = suite.SampleTraining(new DeterministicRandom(1), 150);
        var heldOut = suite.HeldOut(50);

        var trajectories = await RunExpert(suite, [.. train, .. heldOut]);

        Assert.All(trajectories, t => Assert.True(t.Success, $"{t.Task.Instruction}: {string.Join(" | ", t.Messages.Select(m => m.Text))}"));
        // The expert walks the goal's tool path once, then replies: difficulty + 1 turns.
        Assert.All(trajectories, t => Assert.Equal(t.Task.Difficulty + 1, t.Turns));
        Assert.Equal([1, 2, 3], train.Select(t => t.Difficulty).Distinct().Order());
    }

    [Fact]
    public void Held_out_worlds_never_appear_in_training_and_difficulty_is_a_parameter()
    {
        var suite = new ToolUseSuite();
        var train = suite.SampleTraining(new DeterministicRandom(2), 300).Cast<ToolUseTask>().ToArray();
        var heldOut = suite.HeldOut(100).Cast<ToolUseTask>().ToArray();
        Assert.Empty(train.Select(t => t.DatabaseSeed).Intersect(heldOut.Select(t => t.DatabaseSeed)));
        Assert.Equal(heldOut, suite.HeldOut(100).Cast<ToolUseTask>().ToArray());

        var hard = new ToolUseSuite(new ToolUseSuiteOptions { MinDifficulty = 3 }).SampleTraining(new DeterministicRandom(3), 50);
        Assert.All(hard, t => Assert.Equal(3, t.Difficulty));
        Assert.All(ToolUseSuite.GoalPaths.Values, path =>
        {
            // Each goal is a connected path: every tool's prerequisites come before it.
            for (int i = 0; i < path.Length; i++) Assert.All(ToolUseSuite.ToolGraph[path[i]], dep => Assert.Contains(dep, path[..i]));
        });
    }

    private sealed class FixedReply(Func<List<ChatMessage>, ChatMessage> reply) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(reply(messages.ToList())));
        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public object? GetService(Type serviceType, object? serviceKey = null) => null;
        public void Dispose() { }
    }

    [Fact]
    public async Task Wrong_answers_and_unintended_changes_fail()
    {
        var suite = new ToolUseSuite(new ToolUseSuiteOptions { MinDifficulty = 1, MaxDifficulty = 1 });
        var task = suite.SampleTraining(new DeterministicRandom(4), 1)[0];
        var guess = await new AgentLoop(new FixedReply(_ => new ChatMessage(ChatRole.Assistant, "It is nobody@example.com."))).RunAsync([new AgentEpisode(suite.CreateEnvironment(), task, 0)]);
        Assert.False(guess[0].Success);

        // Answering right but also cancelling an order changes the world: no success.
        var expert = new ToolUseExpert();
        var environment = suite.CreateEnvironment();
        bool vandalised = false;
        var meddler = new FixedReply(messages =>
        {
            if (!vandalised)
            {
                vandalised = true;
                var pending = environment.Database.Orders.Values.First(o => o.Status == "pending");
                return new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("x", "cancel_order", new Dictionary<string, object?> { ["order_id"] = pending.Id })]);
            }
            return expert.GetResponseAsync(messages).Result.Messages[^1];
        });
        var meddled = await new AgentLoop(meddler).RunAsync([new AgentEpisode(environment, task, 0)]);
        Assert.Equal(1, meddled[0].Info["answer_correct"]);
        Assert.Equal(0, meddled[0].Info["state_correct"]);
        Assert.False(meddled[0].Success);
    }

    [Fact]
    public async Task Bad_tool_arguments_are_in_band_errors()
    {
        var environment = new ToolUseSuite().CreateEnvironment();
        await environment.ResetAsync(new ToolUseSuite().SampleTraining(new DeterministicRandom(5), 1)[0], 0);
        var listOrders = environment.Tools.Single(t => t.Name == "list_orders");
        var result = await listOrders.InvokeAsync(new AIFunctionArguments(new Dictionary<string, object?> { ["customer_id"] = "C0000" }));
        Assert.Contains("unknown customer_id", result?.ToString());
    }
}
