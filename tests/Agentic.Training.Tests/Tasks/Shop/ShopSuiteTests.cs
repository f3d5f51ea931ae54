using System.Text.Json;
using Agentic.Core.Agents;
using Agentic.Core.Randomness;
using Agentic.Training.Tasks.Shop;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tests.Tasks.Shop;

public class ShopSuiteTests
{
    private static async Task<IReadOnlyList<Trajectory>> RunExpert(ShopSuite suite, IReadOnlyList<AgentTask> tasks) =>
        await new AgentLoop(new ShopExpert(), new AgentLoopOptions { MaxTurns = 10 })
            .RunAsync(tasks.Select((t, i) => new AgentEpisode(suite.CreateEnvironment(), t, (ulong)i)).ToArray());

    private static string Transcript(Trajectory t) =>
        $"{t.Task.Instruction}: {string.Join(" | ", t.Messages.Select(m => m.Text + string.Join(",", m.Contents.OfType<FunctionCallContent>().Select(c => $"{c.Name}({JsonSerializer.Serialize(c.Arguments)})"))))}";

    [Fact]
    public async Task The_scripted_expert_solves_every_training_and_held_out_task()
    {
        var suite = new ShopSuite();
        var train = suite.SampleTraining(new DeterministicRandom(1), 100);
        var heldOut = suite.HeldOut(30);

        var trajectories = await RunExpert(suite, [.. train, .. heldOut]);

        Assert.All(trajectories, t => Assert.True(t.Success, Transcript(t)));
        Assert.All(trajectories, t => Assert.Equal(1.0, t.Reward));
        Assert.All(trajectories, t => Assert.Equal(EpisodeEnd.Done, t.End));
        Assert.All(trajectories, t => Assert.Empty(t.Events));
        // One match figure for the type and one per constraint.
        Assert.All(trajectories, t => Assert.Equal(t.Task.Difficulty + 1, t.Info.Keys.Count(k => k.StartsWith("match_", StringComparison.Ordinal))));
        Assert.Equal([1, 2, 3, 4, 5], train.Select(t => t.Difficulty).Distinct().Order());
    }

    [Fact]
    public void Held_out_catalogues_never_appear_in_training_and_difficulty_is_a_parameter()
    {
        var suite = new ShopSuite();
        var train = suite.SampleTraining(new DeterministicRandom(2), 300).Cast<ShopTask>().ToArray();
        var heldOut = suite.HeldOut(100).Cast<ShopTask>().ToArray();
        Assert.Empty(train.Select(t => t.CatalogueSeed).Intersect(heldOut.Select(t => t.CatalogueSeed)));
        Assert.All(heldOut, t => Assert.True(suite.IsHeldOut(t.CatalogueSeed)));
        Assert.Equal(heldOut, suite.HeldOut(100).Cast<ShopTask>().ToArray());
        Assert.All(train, t => Assert.Equal(t.Difficulty, t.Constraints.Count));

        var hard = new ShopSuite(new ShopSuiteOptions { MinDifficulty = 6, MaxDifficulty = 6 }).SampleTraining(new DeterministicRandom(3), 30).Cast<ShopTask>();
        Assert.All(hard, t => Assert.Equal(6, t.Constraints.Count));
        var easy = new ShopSuite(new ShopSuiteOptions { MinDifficulty = 1, MaxDifficulty = 1 }).SampleTraining(new DeterministicRandom(3), 30);
        Assert.All(easy, t => Assert.Equal(1, t.Difficulty));
        // The expert reads back exactly the constraints the instruction was written from.
        Assert.All(train.Concat(hard), t => Assert.Equal(t.Constraints, ShopExpert.Parse(t.Instruction)));
    }

    private sealed class Scripted(Func<List<ChatMessage>, ChatMessage> reply) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(reply(messages.ToList())));
        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public object? GetService(Type serviceType, object? serviceKey = null) => null;
        public void Dispose() { }
    }

    private static ChatMessage Buy(string id, Dictionary<string, string> options) =>
        new(ChatRole.Assistant, [new FunctionCallContent("b", "buy", new Dictionary<string, object?> { ["product_id"] = id, ["options"] = options })]);

    [Fact]
    public async Task A_wrong_purchase_gets_partial_reward_and_no_success()
    {
        var suite = new ShopSuite(new ShopSuiteOptions { MinDifficulty = 3, MaxDifficulty = 3 });
        var task = (ShopTask)suite.SampleTraining(new DeterministicRandom(4), 1)[0];

        // Replying without buying: nothing matches.
        var idle = await new AgentLoop(new Scripted(_ => new ChatMessage(ChatRole.Assistant, "Sorry."))).RunAsync([new AgentEpisode(suite.CreateEnvironment(), task, 0)]);
        Assert.False(idle[0].Success);
        Assert.Equal(0, idle[0].Reward);
        Assert.Equal(0, idle[0].Info["purchased"]);

        // A product of the right type that misses at least one constraint: partial reward.
        var environment = suite.CreateEnvironment();
        await environment.ResetAsync(task, 0);
        var c = task.Constraints;
        var wrong = environment.Catalogue.Products.FirstOrDefault(p => p.Type == c.Type && !p.Satisfies(c))
            ?? environment.Catalogue.Products.First(p => p.Type != c.Type);
        var options = new Dictionary<string, string> { ["color"] = wrong.Colors[0] };
        if (wrong.Sizes.Length > 0) options["size"] = wrong.Sizes[0];
        var bought = await new AgentLoop(new Scripted(_ => Buy(wrong.Id, options))).RunAsync([new AgentEpisode(environment, task, 0)]);
        Assert.Equal(wrong.Id, environment.PurchasedProductId);
        Assert.Equal(1, bought[0].Info["purchased"]);
        Assert.False(bought[0].Success);
        Assert.InRange(bought[0].Reward, 0, 0.99);
        Assert.Equal(1, bought[0].Turns);

        // The right product with a wrong option: every attribute but that option matches.
        var sized = (ShopTask)new ShopSuite(new ShopSuiteOptions { MinDifficulty = 6, MaxDifficulty = 6 }).SampleTraining(new DeterministicRandom(5), 1)[0];
        environment = suite.CreateEnvironment();
        await environment.ResetAsync(sized, 0);
        var right = environment.Catalogue.Products.First(p => p.Satisfies(sized.Constraints) && p.Colors.Length > 1);
        var otherColor = right.Colors.First(x => x != sized.Constraints.Color);
        var result = await new AgentLoop(new Scripted(_ => Buy(right.Id, new() { ["color"] = otherColor, ["size"] = sized.Constraints.Size! }))).RunAsync([new AgentEpisode(environment, sized, 0)]);
        Assert.Equal(0, result[0].Info["match_color"]);
        Assert.Equal(6.0 / 7.0, result[0].Reward, 6);
        Assert.False(result[0].Success);
    }

    [Fact]
    public async Task Bad_tool_arguments_are_in_band_errors()
    {
        var suite = new ShopSuite();
        var task = (ShopTask)suite.SampleTraining(new DeterministicRandom(6), 1)[0];
        var environment = suite.CreateEnvironment();
        await environment.ResetAsync(task, 0);
        async Task<string> Invoke(string tool, params (string, object?)[] arguments) =>
            (await environment.Tools.Single(t => t.Name == tool).InvokeAsync(new AIFunctionArguments(arguments.ToDictionary(a => a.Item1, a => a.Item2))))!.ToString()!;

        var product = environment.Catalogue.Products.First(p => p.Colors.Length > 1 && p.Sizes.Length > 1);
        Assert.Contains("error", await Invoke("search", ("query", "  ")));
        Assert.Contains("unknown product_id", await Invoke("view", ("product_id", "P0")));
        Assert.Contains("unknown product_id", await Invoke("buy", ("product_id", "nope")));
        Assert.Contains("choose a color", await Invoke("buy", ("product_id", product.Id)));
        Assert.Contains("not available", await Invoke("buy", ("product_id", product.Id), ("options", new Dictionary<string, string> { ["color"] = "ultraviolet" })));
        Assert.Contains("no option", await Invoke("buy", ("product_id", product.Id), ("options", new Dictionary<string, string> { ["flavor"] = "mint" })));
        Assert.Contains("choose a size", await Invoke("buy", ("product_id", product.Id), ("options", new Dictionary<string, string> { ["color"] = product.Colors[1] })));
        Assert.Null(environment.PurchasedProductId);

        // Options as the JSON object a parsed tool call carries.
        var json = JsonDocument.Parse($$"""{"color": "{{product.Colors[1]}}", "size": "{{product.Sizes[0]}}"}""").RootElement;
        Assert.Contains("purchased", await Invoke("buy", ("product_id", product.Id), ("options", json)));
        Assert.Equal(product.Id, environment.PurchasedProductId);
        Assert.Contains("already bought", await Invoke("buy", ("product_id", product.Id), ("options", json)));

        var search = await Invoke("search", ("query", $"{product.Colors[0]} {product.Type}"));
        Assert.True(JsonDocument.Parse(search).RootElement.GetProperty("results").GetArrayLength() is > 0 and <= 5);
    }
}
