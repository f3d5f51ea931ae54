using Agentic.Core.ChatCompletion;
using Microsoft.Extensions.AI;

namespace Agentic.Core.Tests.ChatCompletion;

public class HeavyThinkingChatClientTests
{
    /// <summary>Answers from a list by seed; summary requests get "summary of N"; records every call.</summary>
    private sealed class ScriptedClient(params string[] answers) : IChatClient
    {
        public List<(List<ChatMessage> Messages, ChatOptions? Options)> Calls { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages.ToList();
            lock (Calls) Calls.Add((list, options));
            var last = list[^1].Text;
            var text = last.Contains("independent attempts", StringComparison.Ordinal)
                ? $"summary of {last.Split('\n').Count(l => l.StartsWith('['))}"
                : answers[(int)((options?.Seed ?? 1) - 1) % answers.Length];
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
            {
                Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 2, TotalTokenCount = 12 },
            });
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public object? GetService(Type serviceType, object? serviceKey = null) => null;
        public void Dispose() { }
    }

    [Fact]
    public async Task Width_traces_then_depth_summary_passes_with_the_token_cost_summed()
    {
        var inner = new ScriptedClient("579", "578", "579");
        var client = new ChatClientBuilder(inner).UseHeavyThinking(o => { o.Width = 3; o.Depth = 2; o.TraceTemperature = 1.2f; }).Build();

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "What is 123+456?")], new ChatOptions { Seed = 0 });

        Assert.Equal("summary of 1", response.Text);
        Assert.Equal(5, inner.Calls.Count);
        var traces = inner.Calls.Where(c => !c.Messages[^1].Text.Contains("attempts")).ToArray();
        Assert.Equal(3, traces.Length);
        Assert.All(traces, c => Assert.Equal(1.2f, c.Options!.Temperature));
        Assert.Equal([1L, 2L, 3L], traces.Select(c => c.Options!.Seed!.Value).Order());
        var firstSummary = inner.Calls.First(c => c.Messages[^1].Text.Contains("attempts"));
        Assert.Contains("[1] 579", firstSummary.Messages[^1].Text);
        Assert.Contains("[2] 578", firstSummary.Messages[^1].Text);
        Assert.Equal(0f, firstSummary.Options!.Temperature);
        Assert.Equal(5 * 12, response.Usage!.TotalTokenCount);
        Assert.Equal(3, ((string[])response.AdditionalProperties!["heavy_thinking.traces"]!).Length);
    }

    [Fact]
    public async Task Majority_vote_picks_the_most_frequent_answer_and_breaks_ties_by_order()
    {
        var vote = new HeavyThinkingChatClient(new ScriptedClient("<answer>7</answer>", "<answer>8</answer>", "<answer>8</answer>", "<answer>7</answer>", "<answer>8</answer>"),
            new HeavyThinkingOptions { Width = 5, Aggregation = HeavyThinkingAggregation.MajorityVote, AnswerExtractor = t => t.Replace("<answer>", "").Replace("</answer>", "") });
        Assert.Equal("<answer>8</answer>", (await vote.GetResponseAsync([new ChatMessage(ChatRole.User, "q")])).Text);

        var tie = new HeavyThinkingChatClient(new ScriptedClient("a", "b"), new HeavyThinkingOptions { Width = 2, Aggregation = HeavyThinkingAggregation.MajorityVote });
        Assert.Equal("a", (await tie.GetResponseAsync([new ChatMessage(ChatRole.User, "q")])).Text);
    }

    [Fact]
    public async Task Requests_with_tools_pass_through_and_bad_options_are_rejected()
    {
        var inner = new ScriptedClient("x");
        var client = new HeavyThinkingChatClient(inner);
        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")], new ChatOptions { Tools = [AIFunctionFactory.Create(() => 1, "one")] });
        Assert.Single(inner.Calls);
        Assert.Throws<ArgumentOutOfRangeException>(() => new HeavyThinkingChatClient(inner, new HeavyThinkingOptions { Width = 0 }));
        Assert.Throws<ArgumentException>(() => new HeavyThinkingChatClient(inner, new HeavyThinkingOptions { SummaryPrompt = "no placeholder" }));
    }
}
