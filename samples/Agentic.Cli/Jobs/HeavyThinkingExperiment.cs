using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Agentic.Core.ChatCompletion;
using Agentic.Core.Randomness;
using Agentic.Training.Tasks.Addition;
using Microsoft.Extensions.AI;

namespace Agentic.Cli.Jobs;

/// <summary>Settings of <c>agentic experiment heavy-thinking</c>.</summary>
internal sealed record HeavyThinkingExperimentSettings
{
    public int Width { get; init; } = 5;
    public float Temperature { get; init; } = 0.8f;
    public int Problems { get; init; } = 300;
    public int Digits { get; init; } = 3;
    public int MaxOutputTokens { get; init; } = 32;
    public bool Summary { get; init; } = true;
    public ulong Seed { get; init; } = 7;
}

/// <summary>Accuracy and token cost of one way of answering.</summary>
/// <param name="Name">The arm's name.</param>
/// <param name="Correct">Problems answered correctly.</param>
/// <param name="Problems">Problems asked.</param>
/// <param name="InputTokens">Prompt tokens over all calls.</param>
/// <param name="OutputTokens">Generated tokens over all calls.</param>
/// <param name="Seconds">Wall-clock seconds (Summary reuses the vote's cached traces, so its time is the summary passes only).</param>
internal sealed record HeavyThinkingArm(string Name, int Correct, int Problems, long InputTokens, long OutputTokens, double Seconds)
{
    public double Accuracy => Problems == 0 ? double.NaN : (double)Correct / Problems;

    /// <summary>Prompt plus generated tokens per problem.</summary>
    public double TokensPerProblem => Problems == 0 ? double.NaN : (double)(InputTokens + OutputTokens) / Problems;

    /// <summary>Generated tokens per problem.</summary>
    public double OutputTokensPerProblem => Problems == 0 ? double.NaN : (double)OutputTokens / Problems;
}

/// <summary>What the experiment measured.</summary>
internal sealed record HeavyThinkingExperimentReport(HeavyThinkingArm Single, HeavyThinkingArm Vote, HeavyThinkingArm? Summary, int Width, float Temperature, string Engine);

/// <summary>
/// Single-sample vs Heavy Thinking on held-out addition problems, for the same policy through the same
/// <see cref="IChatClient"/> stack: one sample at the temperature, then <see cref="HeavyThinkingChatClient"/> with
/// <see cref="HeavyThinkingOptions.Width"/> traces at the same temperature aggregated by a majority vote over the
/// answer after <c>&lt;/think&gt;</c>, then (optionally) the Summary aggregation over the same traces.
/// </summary>
internal static class HeavyThinkingExperiment
{
    public static HeavyThinkingExperimentReport Run(IChatClient policy, bool concurrent, HeavyThinkingExperimentSettings settings, string engine,
        Action<string, int, int>? progress, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Problems, 1);
        var task = new AdditionTask(new AdditionTaskOptions { MaxDigits = settings.Digits });
        var problems = task.SampleHeldOut(new DeterministicRandom(settings.Seed), settings.Problems);

        // Traces are memoised by (prompt, temperature, seed) so the Summary arm reads exactly the vote's traces and only
        // pays for its summary passes in time; its reported token cost still counts every trace.
        using var cache = new MemoisingChatClient(policy);
        int parallelism = concurrent ? settings.Width : 1;

        var single = Measure("single sample", cache, problems, settings, progress, cancellationToken);
        using var vote = new HeavyThinkingChatClient(cache, new HeavyThinkingOptions
        {
            Width = settings.Width,
            TraceTemperature = settings.Temperature,
            Aggregation = HeavyThinkingAggregation.MajorityVote,
            AnswerExtractor = FinalAnswer,
            MaxParallelism = parallelism,
        });
        var voteArm = Measure($"heavy thinking (vote, width {settings.Width})", vote, problems, settings, progress, cancellationToken);
        HeavyThinkingArm? summaryArm = null;
        if (settings.Summary)
        {
            using var summary = new HeavyThinkingChatClient(cache, new HeavyThinkingOptions
            {
                Width = settings.Width,
                TraceTemperature = settings.Temperature,
                Aggregation = HeavyThinkingAggregation.Summary,
                MaxParallelism = parallelism,
            });
            summaryArm = Measure($"heavy thinking (summary, width {settings.Width})", summary, problems, settings, progress, cancellationToken);
        }
        return new HeavyThinkingExperimentReport(single, voteArm, summaryArm, settings.Width, settings.Temperature, engine);
    }

    /// <summary>The comparable answer of a reply: the text after the last <c>&lt;/think&gt;</c>, trimmed.</summary>
    public static string FinalAnswer(string reply)
    {
        int end = reply.LastIndexOf("</think>", StringComparison.Ordinal);
        return (end >= 0 ? reply[(end + "</think>".Length)..] : reply).Trim();
    }

    private static HeavyThinkingArm Measure(string name, IChatClient client, IReadOnlyList<AdditionProblem> problems, HeavyThinkingExperimentSettings settings,
        Action<string, int, int>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        int correct = 0;
        long input = 0, output = 0;
        for (int i = 0; i < problems.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var options = new ChatOptions
            {
                Temperature = settings.Temperature,
                MaxOutputTokens = settings.MaxOutputTokens,
                // One seed block per problem: the single sample uses the block's first seed, traces the next Width.
                Seed = (long)i * (settings.Width + 1),
            };
            var response = client.GetResponseAsync(problems[i].ToPrompt(), options, cancellationToken).GetAwaiter().GetResult();
            if (problems[i].IsCorrect(response.Text)) correct++;
            input += response.Usage?.InputTokenCount ?? 0;
            output += response.Usage?.OutputTokenCount ?? 0;
            progress?.Invoke(name, i + 1, problems.Count);
        }
        return new HeavyThinkingArm(name, correct, problems.Count, input, output, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Returns the stored response for a repeated (conversation, temperature, seed, budget) request.</summary>
    private sealed class MemoisingChatClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        private readonly ConcurrentDictionary<string, Task<ChatResponse>> _responses = new(StringComparer.Ordinal);

        public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var conversation = messages.ToList();
            var key = string.Create(CultureInfo.InvariantCulture,
                $"{options?.Temperature}|{options?.Seed}|{options?.MaxOutputTokens}|{string.Join("\u241E", conversation.Select(m => $"{m.Role.Value}:{m.Text}"))}");
            var response = _responses.GetOrAdd(key, _ => base.GetResponseAsync(conversation, options, cancellationToken));
            if (response.IsFaulted || response.IsCanceled) _responses.TryRemove(key, out _);
            return response;
        }
    }
}
