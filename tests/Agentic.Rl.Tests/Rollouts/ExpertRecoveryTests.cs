using Agentic.Core.Agents;
using Agentic.Core.Chat;
using Agentic.Core.Randomness;
using Agentic.Core.Tokenization;
using Agentic.Rl.Rollouts;
using Agentic.Training.Noise;
using Agentic.Training.Tasks;
using Microsoft.Extensions.AI;

namespace Agentic.Rl.Tests.Rollouts;

public sealed class ExpertRecoveryTests
{
    private static readonly ChatTemplate s_template = new(ByteLevelTokenizer.CreateDefault());

    /// <summary>An agent that misspells the searched name (as the small policy does), then answers from whatever came back.</summary>
    private sealed class MisspellingAgent : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            bool searched = messages.Any(m => m.Role == ChatRole.Assistant);
            var reply = searched ? "<refine>Nothing useful.</refine>\n<answer>Nowhere</answer>" : "<search>Qqqq Xxxx headquarters</search>";
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, reply)));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private static (ITaskSuite Suite, AgentTask Task) SearchQa(int seed)
    {
        var suite = TaskSuites.Create("searchqa", SuiteScale.Small);
        return (suite, suite.SampleTraining(new DeterministicRandom((ulong)seed), 1)[0]);
    }

    private static AgentEpisode Episode(ITaskSuite suite, AgentTask task, ulong seed, NoiseLevel noise) =>
        new(noise == NoiseLevel.None ? suite.CreateEnvironment() : NoisyEnvironment.ForLevel(suite.CreateEnvironment(), noise, seed), task, seed);

    private static async Task<Trajectory> FailAsync(ITaskSuite suite, AgentTask task, ulong seed, NoiseLevel noise)
    {
        using var agent = new MisspellingAgent();
        var failed = (await new AgentLoop(agent, new AgentLoopOptions { MaxTurns = 8 }).RunAsync([Episode(suite, task, seed, noise)]))[0];
        Assert.False(failed.Success);
        return failed;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task The_expert_takes_over_after_a_misspelt_search_and_only_its_turns_carry_loss(int seed)
    {
        var (suite, task) = SearchQa(seed);
        var failed = await FailAsync(suite, task, 11, NoiseLevel.None);
        using var expert = suite.CreateExpert();

        var recovered = await ExpertRecovery.TakeOverAsync(() => Episode(suite, task, 11, NoiseLevel.None), expert, failed,
            new AgentLoopOptions { MaxTurns = 8 }, s_template, budget: 4096, CancellationToken.None);

        Assert.NotNull(recovered);
        Assert.True(recovered.Success);
        var turns = recovered.Messages.Where(m => m.Role == ChatRole.Assistant).Select(m => m.Text).ToArray();
        // The policy's misspelt search stays; the expert, shown documents about other names, searches again and answers.
        Assert.Equal("<search>Qqqq Xxxx headquarters</search>", turns[0]);
        Assert.StartsWith("<search>", turns[1], StringComparison.Ordinal);
        Assert.Contains("<answer>", turns[^1], StringComparison.Ordinal);
        Assert.Equal(1, recovered.Events.Single(e => e.Kind == Rollout.ExpertTakeoverEvent).Turn);
        int second = recovered.Messages.Select((m, i) => (m, i)).Where(x => x.m.Role == ChatRole.Assistant).ElementAt(1).i;
        var context = s_template.Encode(recovered.Messages.Take(second));
        Assert.Equal(s_template.Encode(failed.Messages.Take(second)).Ids, context.Ids);
        Assert.Equal(s_template.Encode(recovered.Messages).Ids, recovered.TokenIds);
        Assert.All(recovered.LossMask.Take(context.Count), m => Assert.False(m));
        Assert.All(recovered.LossMask.Skip(context.Count), (m, i) => Assert.Equal(s_template.Encode(recovered.Messages).LossMask[context.Count + i], m));
        Assert.Equal(Array.IndexOf(recovered.LossMask, true), recovered.PromptLength);
    }

    [Fact]
    public async Task Under_noise_the_replay_meets_the_same_tool_results_as_the_rollout()
    {
        for (ulong seed = 1; seed <= 6; seed++)
        {
            var (suite, task) = SearchQa((int)seed);
            var failed = await FailAsync(suite, task, seed, NoiseLevel.High);
            using var expert = suite.CreateExpert();

            var recovered = await ExpertRecovery.TakeOverAsync(() => Episode(suite, task, seed, NoiseLevel.High), expert, failed,
                new AgentLoopOptions { MaxTurns = 8 }, s_template, budget: 4096, CancellationToken.None);

            // A replay that met other tool results than the rollout's would be discarded (null).
            Assert.NotNull(recovered);
            int second = recovered.Messages.Select((m, i) => (m, i)).Where(x => x.m.Role == ChatRole.Assistant).ElementAt(1).i;
            Assert.Equal(s_template.Encode(failed.Messages.Take(second)).Ids, s_template.Encode(recovered.Messages.Take(second)).Ids);
        }
    }

    [Fact]
    public async Task A_rollout_whose_first_turn_was_malformed_or_that_has_one_turn_is_not_taken_over()
    {
        var (suite, task) = SearchQa(1);
        var failed = await FailAsync(suite, task, 11, NoiseLevel.None);
        using var expert = suite.CreateExpert();
        var options = new AgentLoopOptions { MaxTurns = 8 };

        var malformed = failed with { Events = [new TrajectoryEvent(0, "malformed_output", "unterminated tool call")] };
        Assert.Null(await ExpertRecovery.TakeOverAsync(() => Episode(suite, task, 11, NoiseLevel.None), expert, malformed, options, s_template, 4096, CancellationToken.None));

        var oneTurn = failed with { Messages = [.. failed.Messages.TakeWhile(m => m.Role != ChatRole.Assistant), failed.Messages.First(m => m.Role == ChatRole.Assistant)] };
        Assert.Null(await ExpertRecovery.TakeOverAsync(() => Episode(suite, task, 11, NoiseLevel.None), expert, oneTurn, options, s_template, 4096, CancellationToken.None));

        // Nor one whose recovery would not fit the context budget.
        Assert.Null(await ExpertRecovery.TakeOverAsync(() => Episode(suite, task, 11, NoiseLevel.None), expert, failed, options, s_template, 64, CancellationToken.None));
    }
}
