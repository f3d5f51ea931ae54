using Agentic.Core.Agents;
using Agentic.Core.Chat;
using Agentic.Core.Tokenization;
using Agentic.Rl.Modeling;
using Agentic.Rl.Training;

namespace Agentic.Rl.Rollouts;

/// <summary>An off-policy rollout added to a group: the suite's scripted expert on the group's task.</summary>
/// <param name="Trajectory">The expert's episode, encoded with the policy's chat template (token ids, loss mask on the
/// expert's turns, and the current policy's log-probabilities of those tokens).</param>
/// <param name="Noisy">Whether it ran under the noisy subgroup's noise (it joins that subgroup's advantages).</param>
internal sealed record GuidanceTrajectory(Trajectory Trajectory, bool Noisy);

/// <summary>
/// Off-policy guidance (LUFFY): for each subgroup of a request (clean, noisy), the suite's scripted expert plays the
/// group's task once with that subgroup's first episode seed and noise, under the policy's turn limit. A successful
/// episode that fits the context budget is encoded with the chat template, its tokens get the current policy's
/// log-probabilities (so its importance ratio starts at 1, like an on-policy rollout's), and it joins the group.
/// </summary>
internal sealed class ExpertGuidance(MoeCausalLM model, ByteLevelTokenizer tokenizer, ChatTemplate template, AgentRlOptions options,
    IReadOnlyDictionary<string, ITaskSuite> suites)
{
    /// <summary>Creates the guidance after checking that every suite has a scripted expert.</summary>
    /// <exception cref="ArgumentException">A suite's <see cref="ITaskSuite.CreateExpert"/> is not supported.</exception>
    public static ExpertGuidance Create(MoeCausalLM model, ByteLevelTokenizer tokenizer, ChatTemplate template, AgentRlOptions options,
        IReadOnlyDictionary<string, ITaskSuite> suites)
    {
        RequireExperts(suites, "Expert guidance");
        return new ExpertGuidance(model, tokenizer, template, options, suites);
    }

    /// <summary>Checks that every suite has a scripted expert.</summary>
    /// <exception cref="ArgumentException">A suite's <see cref="ITaskSuite.CreateExpert"/> is not supported.</exception>
    internal static void RequireExperts(IReadOnlyDictionary<string, ITaskSuite> suites, string feature)
    {
        foreach (var (name, suite) in suites)
        {
            try
            {
                using var expert = suite.CreateExpert();
            }
            catch (NotSupportedException e)
            {
                throw new ArgumentException($"{feature} needs a scripted expert, and suite '{name}' has none.", "options", e);
            }
        }
    }

    /// <summary>The guidance trajectories of each request (possibly none).</summary>
    public async Task<IReadOnlyList<GuidanceTrajectory>[]> RunAsync(IReadOnlyList<RolloutRequest> requests, CancellationToken cancellationToken)
    {
        var episodes = new List<(int Request, bool Noisy, AgentEpisode Episode)>();
        for (int r = 0; r < requests.Count; r++)
        {
            var request = requests[r];
            var suite = suites[request.Suite];
            var task = RolloutEngine.SampleTask(suite, request);
            foreach (bool noisy in new[] { false, true })
            {
                int slot = Array.IndexOf(request.Noisy, noisy);
                if (slot >= 0) episodes.Add((r, noisy, RolloutEngine.Episode(suite, task, request, slot)));
            }
        }

        var kept = new List<(int Request, bool Noisy, Trajectory Trajectory)>();
        int budget = Math.Min(options.MaxTokens, model.Config.MaxPositionEmbeddings);
        foreach (var bySuite in episodes.GroupBy(e => requests[e.Request].Suite))
        {
            var items = bySuite.ToArray();
            using var expert = suites[bySuite.Key].CreateExpert();
            var loop = new AgentLoop(expert, new AgentLoopOptions { MaxTurns = options.MaxTurns, ToolTimeout = options.ToolTimeout });
            var runs = await loop.RunAsync([.. items.Select(e => e.Episode)], cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < items.Length; i++)
            {
                if (!runs[i].Success) continue;
                var encoded = template.Encode(runs[i].Messages);
                int prompt = Array.IndexOf(encoded.LossMask, true);
                if (encoded.Count > budget || prompt < 0) continue;
                kept.Add((items[i].Request, items[i].Noisy, runs[i] with { TokenIds = encoded.Ids, LossMask = encoded.LossMask, LogProbs = new float[encoded.Count], PromptLength = prompt }));
            }
        }
        return Score(model, tokenizer, options, kept, requests.Count);
    }

    /// <summary>
    /// Gives encoded off-policy trajectories the current policy's log-probabilities on their loss tokens (0 elsewhere),
    /// so their importance ratios start at 1, like an on-policy rollout's; returns them by request.
    /// </summary>
    internal static IReadOnlyList<GuidanceTrajectory>[] Score(MoeCausalLM model, ByteLevelTokenizer tokenizer, AgentRlOptions options,
        IReadOnlyList<(int Request, bool Noisy, Trajectory Trajectory)> kept, int requests)
    {
        var result = new List<GuidanceTrajectory>[requests];
        for (int r = 0; r < result.Length; r++) result[r] = [];
        if (kept.Count == 0) return result;
        var samples = kept.Select(k => new PolicySample(k.Trajectory.TokenIds, k.Trajectory.LossMask, k.Trajectory.LogProbs, 0)).ToArray();
        var logProbs = PolicyGradientTrainer.ComputeLogProbs(model, samples, microBatchSize: 8, tokenizer.EndOfTextId, options.Temperature);
        for (int i = 0; i < kept.Count; i++)
        {
            var lp = logProbs[i];
            var mask = kept[i].Trajectory.LossMask;
            for (int t = 0; t < lp.Length; t++) if (!mask[t]) lp[t] = 0;
            result[kept[i].Request].Add(new GuidanceTrajectory(kept[i].Trajectory with { LogProbs = lp }, kept[i].Noisy));
        }
        return result;
    }
}
