using Agentic.Core.Agents;
using Agentic.Core.Randomness;
using Agentic.Training.Tasks.TextWorld;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tests.Tasks.TextWorld;

public class TextWorldSuiteTests
{
    private static async Task<IReadOnlyList<Trajectory>> RunExpert(TextWorldSuite suite, IReadOnlyList<AgentTask> tasks) =>
        await new AgentLoop(new TextWorldExpert(), new AgentLoopOptions { MaxTurns = 80 })
            .RunAsync(tasks.Select((t, i) => new AgentEpisode(suite.CreateEnvironment(), t, (ulong)i)).ToArray());

    private static string Transcript(Trajectory t) => $"{t.Task.Instruction}: {string.Join(" | ", t.Messages.Select(m => m.Text + string.Join(",", m.Contents.OfType<FunctionCallContent>().Select(c => $"{c.Name}({string.Join(",", c.Arguments?.Values ?? [])})"))))}";

    [Fact]
    public async Task The_scripted_expert_solves_every_training_and_held_out_task()
    {
        var suite = new TextWorldSuite();
        var train = suite.SampleTraining(new DeterministicRandom(1), 100);
        var heldOut = suite.HeldOut(30);

        var trajectories = await RunExpert(suite, [.. train, .. heldOut]);

        Assert.All(trajectories, t => Assert.True(t.Success, Transcript(t)));
        Assert.All(trajectories, t => Assert.Equal(EpisodeEnd.Done, t.End));
        Assert.All(trajectories, t => Assert.Empty(t.Events));
        // Exploring costs turns, but never fewer than the shortest plan's sub-steps (plus a look and the reply).
        Assert.All(trajectories, t => Assert.True(t.Turns >= t.Task.Difficulty + 2, Transcript(t)));
        Assert.Equal(Enumerable.Range(2, 7), train.Select(t => t.Difficulty).Distinct().Order());
        Assert.Contains(train.Cast<TextWorldTask>(), t => t.Goal.Transform == TextWorldTransform.Clean);
        Assert.Contains(train.Cast<TextWorldTask>(), t => t.Goal.Transform == TextWorldTransform.Heat);
        Assert.Contains(train.Cast<TextWorldTask>(), t => t.Goal.Transform == TextWorldTransform.None);
    }

    [Fact]
    public void Held_out_worlds_never_appear_in_training_and_difficulty_is_a_parameter()
    {
        var suite = new TextWorldSuite();
        var train = suite.SampleTraining(new DeterministicRandom(2), 300).Cast<TextWorldTask>().ToArray();
        var heldOut = suite.HeldOut(100).Cast<TextWorldTask>().ToArray();
        Assert.Empty(train.Select(t => t.WorldSeed).Intersect(heldOut.Select(t => t.WorldSeed)));
        Assert.All(heldOut, t => Assert.True(suite.IsHeldOut(t.WorldSeed)));
        Assert.Equal(heldOut, suite.HeldOut(100).Cast<TextWorldTask>().ToArray());
        Assert.Equal(train, suite.SampleTraining(new DeterministicRandom(2), 300).Cast<TextWorldTask>().ToArray());

        var hard = new TextWorldSuite(new TextWorldSuiteOptions { MinDifficulty = 7, MaxDifficulty = 9, Rooms = 6 }).SampleTraining(new DeterministicRandom(3), 40);
        Assert.All(hard, t => Assert.InRange(t.Difficulty, 7, 9));
        var easy = new TextWorldSuite(new TextWorldSuiteOptions { MinDifficulty = 2, MaxDifficulty = 2 }).SampleTraining(new DeterministicRandom(3), 20);
        Assert.All(easy, t => Assert.Equal(2, t.Difficulty));
    }

    [Fact]
    public async Task The_shortest_plan_has_difficulty_sub_steps_follows_the_action_graph_and_reaches_the_goal()
    {
        var suite = new TextWorldSuite(new TextWorldSuiteOptions { MaxDifficulty = 10, Rooms = 5 });
        foreach (var task in suite.SampleTraining(new DeterministicRandom(4), 60).Cast<TextWorldTask>())
        {
            var environment = suite.CreateEnvironment();
            await environment.ResetAsync(task, 0);
            var plan = environment.World.Plan(task.Goal);
            Assert.Equal(task.Difficulty, plan.Count);
            Assert.All(plan, step => Assert.True(TextWorldSuite.ActionGraph.ContainsKey(step.Tool)));
            Assert.Equal("put", plan[^1].Tool);
            Assert.Equal(1, plan.Count(s => s.Tool == "take"));
            foreach (var step in plan)
            {
                var tool = environment.Tools.Single(t => t.Name == step.Tool);
                var names = tool.JsonSchema.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToArray();
                var arguments = new AIFunctionArguments(names.Zip(step.Arguments).ToDictionary(p => p.First, p => (object?)p.Second));
                var result = (System.Text.Json.JsonElement)(await tool.InvokeAsync(arguments))!;
                Assert.False(result.TryGetProperty("error", out _), result.ToString());
            }
            Assert.True(environment.GoalSatisfied, task.Instruction);
        }
    }

    private sealed class Scripted(Func<List<ChatMessage>, ChatMessage> reply) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(reply(messages.ToList())));
        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public object? GetService(Type serviceType, object? serviceKey = null) => null;
        public void Dispose() { }
    }

    [Fact]
    public async Task A_wrong_final_state_fails()
    {
        var suite = new TextWorldSuite();
        var tasks = suite.SampleTraining(new DeterministicRandom(5), 40).Cast<TextWorldTask>().ToArray();

        // Replying at once leaves the world as it was: the goal does not hold.
        var idle = await new AgentLoop(new Scripted(_ => new ChatMessage(ChatRole.Assistant, "Done."))).RunAsync([new AgentEpisode(suite.CreateEnvironment(), tasks[0], 0)]);
        Assert.False(idle[0].Success);
        Assert.True(idle[0].Reward < 1);
        Assert.Equal(0, idle[0].Info["object_placed"]);

        // Placing the object without cleaning or heating it first: placed, but in the wrong state.
        var task = tasks.First(t => t.Goal.Transform != TextWorldTransform.None);
        var environment = suite.CreateEnvironment();
        var sloppy = new Scripted(messages =>
        {
            var plan = environment.World.Plan(task.Goal with { Transform = TextWorldTransform.None });
            int done = messages.Count(m => m.Role == ChatRole.Tool);
            if (environment.World.Objects[task.Goal.Object].Location == task.Goal.Receptacle) return new ChatMessage(ChatRole.Assistant, "Done.");
            var step = plan[0];
            var names = step.Tool switch { "go" => new[] { "room" }, "open" => ["receptacle"], "put" => ["object", "receptacle"], _ => ["object"] };
            return new ChatMessage(ChatRole.Assistant, [new FunctionCallContent($"c{done}", step.Tool, names.Zip(step.Arguments).ToDictionary(p => p.First, p => (object?)p.Second))]);
        });
        var result = await new AgentLoop(sloppy, new AgentLoopOptions { MaxTurns = 40 }).RunAsync([new AgentEpisode(environment, task, 0)]);
        Assert.Equal(1, result[0].Info["object_placed"]);
        Assert.Equal(0, result[0].Info["object_state"]);
        Assert.False(result[0].Success);
        Assert.Equal(0, result[0].Reward);
    }

    [Fact]
    public async Task Bad_tool_arguments_are_in_band_errors_and_change_nothing()
    {
        var suite = new TextWorldSuite();
        var task = (TextWorldTask)suite.SampleTraining(new DeterministicRandom(6), 1)[0];
        var environment = suite.CreateEnvironment();
        await environment.ResetAsync(task, 0);
        async Task<string> Invoke(string tool, params (string, object?)[] arguments) =>
            (await environment.Tools.Single(t => t.Name == tool).InvokeAsync(new AIFunctionArguments(arguments.ToDictionary(a => a.Item1, a => a.Item2))))!.ToString()!;

        var here = environment.World.Location;
        Assert.Contains("error", await Invoke("go", ("room", "narnia")));
        Assert.Contains("error", await Invoke("go", ("room", here)));
        Assert.Contains("error", await Invoke("take", ("object", "unicorn")));
        Assert.Contains("error", await Invoke("put", ("object", task.Goal.Object), ("receptacle", task.Goal.Receptacle)));
        Assert.Contains("error", await Invoke("clean", ("object", task.Goal.Object)));
        Assert.Contains("error", await Invoke("heat", ("object", "spaceship")));
        Assert.Contains("error", await Invoke("open", ("receptacle", "table")));
        Assert.Contains("error", await Invoke("examine", ("target", "ghost")));
        Assert.Equal(here, environment.World.Location);
        Assert.Empty(environment.World.Inventory);

        var look = await Invoke("look");
        Assert.Contains("admissible_actions", look);
        Assert.Contains("look()", look);
    }
}
