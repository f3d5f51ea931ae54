using Agentic.Core.Agents;
using Agentic.Core.Chat;
using Agentic.Core.Randomness;
using Agentic.Core.Tokenization;
using Agentic.Rl.Modeling;
using Agentic.Training.Noise;

namespace Agentic.Rl.Rollouts;

/// <summary>Turns rollout requests into episodes and runs them through one batched <see cref="AgentLoop"/>.</summary>
internal static class RolloutEngine
{
    /// <summary>The task of a request (deterministic in its <see cref="RolloutRequest.TaskSeed"/>).</summary>
    public static AgentTask SampleTask(ITaskSuite suite, RolloutRequest request) => suite.SampleTraining(new DeterministicRandom(request.TaskSeed), 1)[0];

    /// <summary>The episode of rollout <paramref name="slot"/> of a request: its seed, and its noise if it is noisy.</summary>
    public static AgentEpisode Episode(ITaskSuite suite, AgentTask task, RolloutRequest request, int slot)
    {
        ulong seed = request.EpisodeSeeds[slot];
        var environment = suite.CreateEnvironment();
        if (request.Noisy[slot]) environment = NoisyEnvironment.ForLevel(environment, request.NoiseLevel, seed);
        return new AgentEpisode(environment, task, seed);
    }

    /// <summary>Runs all rollouts of <paramref name="requests"/> in one batch; returns the trajectories per request.</summary>
    public static async Task<IReadOnlyList<Trajectory>[]> RunAsync(MoeCausalLM model, ByteLevelTokenizer tokenizer, ChatTemplate template,
        IReadOnlyDictionary<string, ITaskSuite> suites, AgentRlOptions options, IReadOnlyList<RolloutRequest> requests, ulong samplerSeed,
        CancellationToken cancellationToken)
    {
        var episodes = new List<AgentEpisode>();
        foreach (var request in requests)
        {
            request.Validate();
            if (!suites.TryGetValue(request.Suite, out var suite)) throw new ArgumentException($"Unknown suite '{request.Suite}' in rollout request {request.Id}.");
            var task = SampleTask(suite, request);
            for (int i = 0; i < request.GroupSize; i++) episodes.Add(Episode(suite, task, request, i));
        }

        using var decoder = RolloutDecoding.Open(model, tokenizer, options.Decoder);
        var loop = new AgentLoop(decoder.Generator, template, tokenizer, new AgentLoopOptions
        {
            MaxTurns = options.MaxTurns,
            MaxTokens = Math.Min(options.MaxTokens, model.Config.MaxPositionEmbeddings),
            MaxNewTokensPerTurn = options.MaxNewTokensPerTurn,
            Temperature = (float)options.Temperature,
            TopP = (float)options.TopP,
            ToolTimeout = options.ToolTimeout,
            Seed = samplerSeed,
        });
        var trajectories = await loop.RunAsync(episodes, cancellationToken).ConfigureAwait(false);
        var result = new IReadOnlyList<Trajectory>[requests.Count];
        int offset = 0;
        for (int r = 0; r < requests.Count; r++)
        {
            result[r] = trajectories.Skip(offset).Take(requests[r].GroupSize).ToArray();
            offset += requests[r].GroupSize;
        }
        return result;
    }
}
