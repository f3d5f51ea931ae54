using System.Diagnostics;
using Agentic.Core.Agents;
using Agentic.Core.Chat;
using Agentic.Core.Generation;
using Agentic.Core.Sampling;
using Agentic.Core.Tokenization;
using Microsoft.Extensions.AI;

namespace Agentic.Core.Tests.Agents;

public class AgentLoopTests
{
    private static readonly ByteLevelTokenizer Tokenizer = ByteLevelTokenizer.CreateDefault();
    private static readonly ChatTemplate Template = new(Tokenizer);

    /// <summary>A policy that replies with scripted text chosen from the prompt, with fake log-probs.</summary>
    private sealed class ScriptedPolicy(Func<string, string> reply) : ITokenGenerator
    {
        public int VocabularySize => Tokenizer.VocabularySize;
        public int Calls { get; private set; }

        public IReadOnlyList<GenerationResult> Generate(IReadOnlyList<IReadOnlyList<int>> prompts, SamplingOptions options, CancellationToken cancellationToken = default)
        {
            Calls++;
            return prompts.Select(p =>
            {
                var ids = Tokenizer.EncodeToIds(reply(Tokenizer.Decode(p)) + ChatTemplate.TurnEndToken).ToArray();
                if (ids.Length > options.MaxNewTokens) ids = ids[..options.MaxNewTokens];
                return new GenerationResult(ids, ids.Select(_ => -0.5f).ToArray(), FinishReason.Stop);
            }).ToArray();
        }
    }

    /// <summary>A calculator world: add(a, b) and a tool that hangs and ignores cancellation.</summary>
    private sealed class CalculatorEnvironment : AgentEnvironment
    {
        private readonly List<AIFunction> _tools =
        [
            AIFunctionFactory.Create((int a, int b) => a + b, "add", "Adds two integers."),
            AIFunctionFactory.Create(async () => { await Task.Delay(Timeout.Infinite); return 0; }, "hang", "Never returns."),
        ];

        public override IReadOnlyList<AIFunction> Tools => _tools;

        public override ValueTask<IReadOnlyList<ChatMessage>> ResetAsync(AgentTask task, ulong seed, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<IReadOnlyList<ChatMessage>>([new ChatMessage(ChatRole.User, task.Instruction)]);

        public override ValueTask<EnvironmentStep> StepAsync(AgentAction action, CancellationToken cancellationToken = default)
        {
            if (action.Message.Contents.OfType<FunctionCallContent>().Any() || action.ParseErrors.Count > 0) return ValueTask.FromResult(EnvironmentStep.Continue);
            bool correct = action.Message.Text.Trim() == "5";
            return ValueTask.FromResult(new EnvironmentStep([], correct ? 1 : 0, true, new Dictionary<string, double> { ["success"] = correct ? 1 : 0 }));
        }
    }

    private static AgentEpisode Episode(string instruction = "What is 2+3?") =>
        new(new CalculatorEnvironment(), new AgentTask("t1", "calc", instruction), 1);

    [Fact]
    public async Task Tool_call_then_answer_keeps_tokens_mask_and_logprobs_aligned()
    {
        var policy = new ScriptedPolicy(prompt => prompt.Contains("<tool_response>")
            ? "5"
            : "<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3}}\n</tool_call>");
        var loop = new AgentLoop(policy, Template, Tokenizer, new AgentLoopOptions { ToolTimeout = TimeSpan.FromSeconds(2) });

        var trajectory = (await loop.RunAsync([Episode()]))[0];

        Assert.True(trajectory.Success);
        Assert.Equal(EpisodeEnd.Done, trajectory.End);
        Assert.Equal(2, trajectory.Turns);
        Assert.Equal(1.0, trajectory.Reward);
        Assert.Empty(trajectory.Events);
        var toolMessage = Assert.Single(trajectory.Messages, m => m.Role == ChatRole.Tool);
        Assert.Equal("5", Assert.IsType<FunctionResultContent>(Assert.Single(toolMessage.Contents)).Result?.ToString());

        Assert.Equal(trajectory.TokenIds.Length, trajectory.LossMask.Length);
        Assert.Equal(trajectory.TokenIds.Length, trajectory.LogProbs.Length);
        // Exactly the policy's tokens are trained, and they carry their log-probs.
        var trained = trajectory.TokenIds.Where((_, i) => trajectory.LossMask[i]).ToArray();
        Assert.Equal(Tokenizer.EncodeToIds("<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 2, \"b\": 3}}\n</tool_call><|im_end|>5<|im_end|>"), trained);
        Assert.All(trajectory.LogProbs.Where((_, i) => trajectory.LossMask[i]), lp => Assert.Equal(-0.5f, lp));
        Assert.All(trajectory.LogProbs.Where((_, i) => !trajectory.LossMask[i]), lp => Assert.Equal(0f, lp));
        // Token-in, token-out: the sequence is what the template gives for the messages (tools in the system prompt).
        var reference = Template.Encode(trajectory.Messages, new CalculatorEnvironment().Tools.Cast<AITool>().ToList());
        Assert.Equal(reference.Ids, trajectory.TokenIds);
        Assert.Equal(reference.LossMask, trajectory.LossMask);
    }

    [Fact]
    public async Task Malformed_output_and_unknown_tools_become_in_band_observations()
    {
        var policy = new ScriptedPolicy(prompt => prompt.Contains("unknown tool") ? "5"
            : prompt.Contains("malformed output") ? "<tool_call>{\"name\": \"nope\", \"arguments\": {}}</tool_call>"
            : "<tool_call>{\"name\": \"add\", \"arguments\": {\"a\": 2,</tool_call>");
        var loop = new AgentLoop(policy, Template, Tokenizer);

        var trajectory = (await loop.RunAsync([Episode()]))[0];

        Assert.True(trajectory.Success);
        Assert.Equal(1, trajectory.Count("malformed_output"));
        Assert.Equal(1, trajectory.Count("unknown_tool"));
        Assert.Equal(3, trajectory.Turns);
    }

    [Fact]
    public async Task A_hanging_tool_is_cancelled_at_its_timeout_and_never_stalls_the_batch()
    {
        var policy = new ScriptedPolicy(prompt => prompt.Contains("Hang") && !prompt.Contains("timed out")
            ? "<tool_call>{\"name\": \"hang\", \"arguments\": {}}</tool_call>"
            : "5");
        var loop = new AgentLoop(policy, Template, Tokenizer, new AgentLoopOptions { ToolTimeout = TimeSpan.FromMilliseconds(200) });
        var clock = Stopwatch.StartNew();

        var trajectories = await loop.RunAsync([Episode("Hang, then say 5."), Episode(), Episode("Hang please")]);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.Equal(1, trajectories[0].Count("tool_timeout"));
        Assert.Equal(0, trajectories[1].Count("tool_timeout"));
        Assert.All(trajectories, t => Assert.True(t.Success));
    }

    [Fact]
    public async Task Turn_limit_and_token_budget_end_episodes()
    {
        var chatty = new ScriptedPolicy(_ => "<tool_call>{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 1}}</tool_call>");
        var byTurns = await new AgentLoop(chatty, Template, Tokenizer, new AgentLoopOptions { MaxTurns = 3 }).RunAsync([Episode()]);
        Assert.Equal(EpisodeEnd.TurnLimit, byTurns[0].End);
        Assert.Equal(3, byTurns[0].Turns);
        Assert.False(byTurns[0].Success);

        var byTokens = await new AgentLoop(chatty, Template, Tokenizer, new AgentLoopOptions { MaxTurns = 100, MaxTokens = 400 }).RunAsync([Episode()]);
        Assert.Equal(EpisodeEnd.TokenBudget, byTokens[0].End);
        Assert.True(byTokens[0].TokenIds.Length <= 400, $"{byTokens[0].TokenIds.Length} tokens");
    }

    [Theory]
    [InlineData(340)]
    [InlineData(377)]
    [InlineData(400)]
    public async Task Trajectories_never_exceed_the_token_budget(int budget)
    {
        var chatty = new ScriptedPolicy(_ => "<tool_call>{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 1}}</tool_call>");
        var runs = await new AgentLoop(chatty, Template, Tokenizer, new AgentLoopOptions { MaxTurns = 100, MaxTokens = budget }).RunAsync([Episode(), Episode()]);
        Assert.All(runs, r => Assert.True(r.TokenIds.Length <= budget, $"{r.TokenIds.Length} > {budget}"));
        Assert.All(runs, r => Assert.Equal(EpisodeEnd.TokenBudget, r.End));
    }

    /// <summary>A scripted chat client: calls add(2, 3), then answers with the tool's result.</summary>
    private sealed class ScriptedChatClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var last = messages.Last();
            Assert.NotNull(options?.Tools);
            var reply = last.Role == ChatRole.Tool
                ? new ChatMessage(ChatRole.Assistant, last.Contents.OfType<FunctionResultContent>().Single().Result?.ToString())
                : new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("c1", "add", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 3 })]);
            return Task.FromResult(new ChatResponse(reply));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }

    [Fact]
    public async Task Any_chat_client_can_be_the_policy()
    {
        var trajectory = (await new AgentLoop(new ScriptedChatClient()).RunAsync([Episode()]))[0];
        Assert.True(trajectory.Success);
        Assert.Equal(2, trajectory.Turns);
        Assert.Empty(trajectory.TokenIds);
    }
}
