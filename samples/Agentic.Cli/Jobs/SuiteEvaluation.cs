using Agentic.Core.Agents;
using Agentic.Core.Chat;
using Agentic.Core.Tokenization;
using Agentic.Rl.Modeling;
using Agentic.Training.Evaluation;
using Agentic.Training.Noise;

namespace Agentic.Cli.Jobs;

/// <summary>Held-out success of a policy on a suite, clean and under tool and user noise.</summary>
internal sealed record CleanNoisy(EvaluationReport Clean, EvaluationReport Noisy)
{
    /// <summary>Success of each held-out task, clean, in task order (empty when not kept).</summary>
    public bool[] CleanOutcomes { get; init; } = [];

    /// <summary>Success of each held-out task under noise, in task order (empty when not kept).</summary>
    public bool[] NoisyOutcomes { get; init; } = [];
}

/// <summary>Greedy held-out evaluation of a TorchSharp policy on suites, clean and noisy.</summary>
internal static class SuiteEvaluation
{
    public static async Task<CleanNoisy> EvaluateAsync(ITaskSuite suite, MoeCausalLM model, ByteLevelTokenizer tokenizer, ChatTemplate template,
        int episodes, int maxTurns, NoiseLevel noise, ulong seed, CancellationToken cancellationToken)
    {
        var loop = SuiteSftJob.CreateLoop(model, tokenizer, template, maxTurns);
        var (clean, cleanRuns) = await AgentEvaluator.EvaluateAsync(suite, loop, episodes, seed: seed, batchSize: 32, cancellationToken: cancellationToken);
        int environments = 0;
        var (noisy, noisyRuns) = await AgentEvaluator.EvaluateAsync(suite, loop, episodes, seed: seed,
            wrapEnvironment: env => NoisyEnvironment.ForLevel(env, noise, seed * 7919 + (ulong)Interlocked.Increment(ref environments)),
            batchSize: 32, cancellationToken: cancellationToken);
        return new CleanNoisy(clean, noisy)
        {
            CleanOutcomes = [.. cleanRuns.Select(t => t.Success)], NoisyOutcomes = [.. noisyRuns.Select(t => t.Success)],
        };
    }
}
