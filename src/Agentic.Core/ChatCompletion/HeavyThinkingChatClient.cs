using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;

namespace Agentic.Core.ChatCompletion;

/// <summary>
/// Heavy Thinking (LongCat-Flash-Thinking) as chat-client middleware: width = <see cref="HeavyThinkingOptions.Width"/>
/// parallel traces sampled at a high temperature, depth = a summary pass that reads them and writes the final answer
/// (or, for policies never trained to summarise, a majority vote). Works over any <see cref="IChatClient"/>.
/// </summary>
/// <remarks>
/// The response's <see cref="ChatResponse.Usage"/> sums every trace and pass, so the token cost is visible;
/// <c>AdditionalProperties["heavy_thinking.traces"]</c> holds the trace texts. Requests with tools pass through
/// unchanged (tool calls are not aggregated). Override <see cref="AggregateAsync"/> to change the aggregation.
/// </remarks>
public class HeavyThinkingChatClient : DelegatingChatClient
{
    /// <summary>Creates the middleware over <paramref name="innerClient"/>.</summary>
    public HeavyThinkingChatClient(IChatClient innerClient, HeavyThinkingOptions? options = null) : base(innerClient)
    {
        Options = options ?? new HeavyThinkingOptions();
        Options.Validate();
    }

    /// <summary>The options in use.</summary>
    public HeavyThinkingOptions Options { get; }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var conversation = messages.ToList();
        if (options?.Tools is { Count: > 0 }) return await base.GetResponseAsync(conversation, options, cancellationToken).ConfigureAwait(false);

        var usage = new UsageDetails { InputTokenCount = 0, OutputTokenCount = 0, TotalTokenCount = 0 };
        var traces = await SampleTracesAsync(conversation, options, usage, cancellationToken).ConfigureAwait(false);
        var final = await AggregateAsync(conversation, traces, options, usage, cancellationToken).ConfigureAwait(false);
        final.Usage = usage;
        final.AdditionalProperties ??= [];
        final.AdditionalProperties["heavy_thinking.traces"] = traces.Select(t => t.Text).ToArray();
        return final;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    /// <summary>Samples the traces: <see cref="HeavyThinkingOptions.Width"/> calls at the trace temperature, each with its own seed.</summary>
    protected virtual async Task<IReadOnlyList<ChatResponse>> SampleTracesAsync(List<ChatMessage> conversation, ChatOptions? options, UsageDetails usage, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(Options.MaxParallelism);
        var calls = Enumerable.Range(0, Options.Width).Select(async i =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var traceOptions = options?.Clone() ?? new ChatOptions();
                traceOptions.Temperature = Options.TraceTemperature;
                traceOptions.Seed = (options?.Seed ?? 0) + i + 1;
                return await base.GetResponseAsync(conversation, traceOptions, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        });
        var traces = await Task.WhenAll(calls).ConfigureAwait(false);
        foreach (var trace in traces) Add(usage, trace.Usage);
        return traces;
    }

    /// <summary>Turns the traces into the final response (summary passes or a majority vote).</summary>
    protected virtual async Task<ChatResponse> AggregateAsync(List<ChatMessage> conversation, IReadOnlyList<ChatResponse> traces, ChatOptions? options, UsageDetails usage, CancellationToken cancellationToken)
    {
        if (Options.Aggregation == HeavyThinkingAggregation.MajorityVote)
        {
            var best = traces
                .Select((t, i) => (Trace: t, Index: i, Answer: Options.AnswerExtractor(t.Text)))
                .GroupBy(x => x.Answer, StringComparer.Ordinal)
                .OrderByDescending(g => g.Count()).ThenBy(g => g.Min(x => x.Index))
                .First();
            var chosen = best.OrderBy(x => x.Index).First().Trace;
            return new ChatResponse(chosen.Messages.ToList()) { ModelId = chosen.ModelId, FinishReason = chosen.FinishReason };
        }

        IReadOnlyList<ChatResponse> current = traces;
        ChatResponse? summary = null;
        for (int depth = 0; depth < Options.Depth; depth++)
        {
            var numbered = new StringBuilder();
            for (int i = 0; i < current.Count; i++) numbered.Append('[').Append(i + 1).Append("] ").Append(current[i].Text.Trim()).Append('\n');
            var request = new List<ChatMessage>(conversation)
            {
                new(ChatRole.User, Options.SummaryPrompt.Replace("{traces}", numbered.ToString().TrimEnd(), StringComparison.Ordinal)),
            };
            var summaryOptions = options?.Clone() ?? new ChatOptions();
            summaryOptions.Temperature = Options.SummaryTemperature;
            summary = await base.GetResponseAsync(request, summaryOptions, cancellationToken).ConfigureAwait(false);
            Add(usage, summary.Usage);
            current = [summary];
        }
        return summary!;
    }

    private static void Add(UsageDetails total, UsageDetails? part)
    {
        if (part is null) return;
        total.InputTokenCount += part.InputTokenCount ?? 0;
        total.OutputTokenCount += part.OutputTokenCount ?? 0;
        total.TotalTokenCount += part.TotalTokenCount ?? (part.InputTokenCount ?? 0) + (part.OutputTokenCount ?? 0);
    }
}
