using Agentic.Core.Agents;
using Agentic.Core.Chat;
using Agentic.Core.Tokenization;
using Agentic.Rl.Modeling;
using Agentic.Rl.Rewards;
using Microsoft.Extensions.AI;

namespace Agentic.Rl.Rollouts;

/// <summary>
/// Recovery guidance (<see cref="AgentRlOptions.ExpertRecovery"/>): in each subgroup (clean, noisy) of a request, a
/// failed policy rollout of two or more turns is replayed, the policy's own messages re-sent to a fresh episode with the
/// same seed and noise, and the suite's scripted expert takes over from one of the policy's states: the latest turn
/// from which the expert still succeeds, tried from the last turn back to the second. The first failed rollout (in
/// group order) that the expert can recover is taken. The recovered
/// episode keeps loss on the expert's turns only and joins the subgroup like a guidance rollout: the policy is shown
/// how to go on from where it went wrong (DAgger's states, GRPO's credit), which full expert episodes never show.
/// </summary>
/// <remarks>
/// A hand-over needs the replay to meet what the policy met: turns the loop flagged as malformed are not replayed
/// (the chat path would not see the parse error), and a replay whose context before the hand-over differs from the
/// rollout's is discarded.
/// </remarks>
internal sealed class ExpertRecovery(MoeCausalLM model, ByteLevelTokenizer tokenizer, ChatTemplate template, AgentRlOptions options,
    IReadOnlyDictionary<string, ITaskSuite> suites)
{
    /// <summary>Creates the recovery after checking that every suite has a scripted expert.</summary>
    /// <exception cref="ArgumentException">A suite's <see cref="ITaskSuite.CreateExpert"/> is not supported.</exception>
    public static ExpertRecovery Create(MoeCausalLM model, ByteLevelTokenizer tokenizer, ChatTemplate template, AgentRlOptions options,
        IReadOnlyDictionary<string, ITaskSuite> suites)
    {
        ExpertGuidance.RequireExperts(suites, "Expert recovery");
        return new ExpertRecovery(model, tokenizer, template, options, suites);
    }

    /// <summary>The recovered trajectories of each request (possibly none), given its policy rollouts.</summary>
    public async Task<IReadOnlyList<GuidanceTrajectory>[]> RunAsync(IReadOnlyList<RolloutRequest> requests, IReadOnlyList<Trajectory>[] rollouts,
        CancellationToken cancellationToken)
    {
        var kept = new List<(int Request, bool Noisy, Trajectory Trajectory)>();
        int budget = Math.Min(options.MaxTokens, model.Config.MaxPositionEmbeddings);
        var loopOptions = new AgentLoopOptions { MaxTurns = options.MaxTurns, ToolTimeout = options.ToolTimeout };
        var experts = new Dictionary<string, IChatClient>(StringComparer.Ordinal);
        try
        {
            for (int r = 0; r < requests.Count; r++)
            {
                var request = requests[r];
                var suite = suites[request.Suite];
                AgentTask? task = null;
                foreach (bool noisy in new[] { false, true })
                {
                    foreach (int slot in Enumerable.Range(0, request.GroupSize).Where(i => request.Noisy[i] == noisy && !rollouts[r][i].Success && rollouts[r][i].Turns >= 2))
                    {
                        var sampled = task ??= RolloutEngine.SampleTask(suite, request);
                        if (!experts.TryGetValue(request.Suite, out var expert)) experts[request.Suite] = expert = suite.CreateExpert();
                        var recovered = await TakeOverAsync(() => RolloutEngine.Episode(suite, sampled, request, slot), expert, rollouts[r][slot], loopOptions,
                            template, budget, cancellationToken).ConfigureAwait(false);
                        if (recovered is null) continue;
                        kept.Add((r, noisy, recovered));
                        break;
                    }
                }
            }
        }
        finally
        {
            foreach (var expert in experts.Values) expert.Dispose();
        }

        return ExpertGuidance.Score(model, tokenizer, options, kept, requests.Count);
    }

    /// <summary>
    /// Replays <paramref name="failed"/>'s first turns in a fresh <paramref name="episode"/> and lets
    /// <paramref name="expert"/> play the rest, handing over as late as possible (from the last turn back to the second);
    /// returns the first successful recovery, encoded with <paramref name="template"/> and with loss on the expert's turns
    /// only (log-probabilities still 0), or <see langword="null"/>.
    /// </summary>
    internal static async Task<Trajectory?> TakeOverAsync(Func<AgentEpisode> episode, IChatClient expert, Trajectory failed, AgentLoopOptions loopOptions,
        ChatTemplate template, int budget, CancellationToken cancellationToken)
    {
        var policyTurns = failed.Messages.Where(m => m.Role == ChatRole.Assistant).ToArray();
        int firstFlagged = failed.Events.Where(e => e.Kind is RewardEventKinds.MalformedOutput or RewardEventKinds.PolicyError).Select(e => e.Turn).DefaultIfEmpty(int.MaxValue).Min();
        for (int k = Math.Min(policyTurns.Length - 1, firstFlagged); k >= 1; k--)
        {
            var client = new HandOverClient(policyTurns[..k], expert);
            var run = (await new AgentLoop(client, loopOptions).RunAsync([episode()], cancellationToken).ConfigureAwait(false))[0];
            if (!run.Success) continue;
            int before = AssistantIndex(run.Messages, k);
            if (before < 0 || before != AssistantIndex(failed.Messages, k)) continue;
            var context = template.Encode(run.Messages.Take(before));
            if (!context.Ids.AsSpan().SequenceEqual(template.Encode(failed.Messages.Take(before)).Ids)) continue;
            var encoded = template.Encode(run.Messages);
            if (encoded.Count > budget) continue;
            var mask = (bool[])encoded.LossMask.Clone();
            Array.Clear(mask, 0, context.Count);
            int prompt = Array.IndexOf(mask, true);
            if (prompt < 0) continue;
            return run with
            {
                TokenIds = encoded.Ids,
                LossMask = mask,
                LogProbs = new float[encoded.Count],
                PromptLength = prompt,
                Events = [.. run.Events, new TrajectoryEvent(k, Rollout.ExpertTakeoverEvent, $"the expert took over at turn {k + 1} of {policyTurns.Length}")],
            };
        }
        return null;
    }

    /// <summary>The index in <paramref name="messages"/> of the assistant message number <paramref name="turn"/> (0-based), or -1.</summary>
    private static int AssistantIndex(IReadOnlyList<ChatMessage> messages, int turn)
    {
        for (int i = 0, seen = 0; i < messages.Count; i++)
        {
            if (messages[i].Role != ChatRole.Assistant) continue;
            if (seen++ == turn) return i;
        }
        return -1;
    }

    /// <summary>Replays the policy's messages, one per turn, then asks the expert.</summary>
    private sealed class HandOverClient(IReadOnlyList<ChatMessage> replay, IChatClient expert) : IChatClient
    {
        private int _turn;

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            _turn < replay.Count ? Task.FromResult(new ChatResponse(replay[_turn++])) : expert.GetResponseAsync(messages, options, cancellationToken);

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
