using Agentic.Core.Agents;
using Agentic.Core.Randomness;
using Agentic.Training.Noise;

namespace Agentic.Cli.Jobs;

/// <summary>Scripted-expert demonstrations of a suite: clean and, for a share of them, under tool noise (recoveries) and optionally user noise (clarifying questions).</summary>
internal static class Demonstrations
{
    /// <summary>Runs the suite's expert on <paramref name="count"/> training tasks and keeps the successful episodes.</summary>
    public static async Task<IReadOnlyList<Trajectory>> CollectAsync(ITaskSuite suite, int count, double noisyFraction, NoiseLevel noise, ulong seed, CancellationToken cancellationToken,
        bool userNoise = false)
    {
        if (!(noisyFraction is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(noisyFraction), noisyFraction, "The noisy share of the demonstrations must be between 0 and 1.");
        var random = new DeterministicRandom(seed);
        var tasks = suite.SampleTraining(random, count);
        int noisyCount = noise == NoiseLevel.None ? 0 : (int)Math.Round(count * noisyFraction);
        var episodes = tasks.Select((t, i) =>
        {
            var environment = suite.CreateEnvironment();
            ulong noiseSeed = seed * 1_000_003 + (ulong)i;
            if (i < noisyCount)
            {
                environment = userNoise
                    ? NoisyEnvironment.ForLevel(environment, noise, noiseSeed)
                    : new NoisyEnvironment(environment, ToolNoiseOptions.ForLevel(noise, noiseSeed));
            }
            return new AgentEpisode(environment, t, (ulong)i);
        }).ToArray();
        var runs = new List<Trajectory>();
        foreach (var chunk in episodes.Chunk(64))
        {
            runs.AddRange(await new AgentLoop(suite.CreateExpert(), new AgentLoopOptions { MaxTurns = 40 }).RunAsync(chunk, cancellationToken));
        }
        return runs.Where(r => r.Success).ToArray();
    }
}
