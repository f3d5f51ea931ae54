using Agentic.Core.Agents;
using Agentic.Core.Chat;
using Agentic.Core.Generation;
using Agentic.Core.Tokenization;
using Agentic.Rl.Export;
using Agentic.Rl.Generation;
using Agentic.Rl.Modeling;
using Agentic.Training.Evaluation;
using Agentic.Training.Noise;

namespace Agentic.Cli.Jobs;

/// <summary>The engine that decodes a policy during held-out evaluation.</summary>
internal enum EvaluationEngine
{
    /// <summary>The policy exported to ONNX and decoded by ONNX Runtime, one intra-op thread per batch and a batch per core.</summary>
    OnnxRuntime,

    /// <summary>The TorchSharp model itself (one batch at a time).</summary>
    TorchSharp,
}

/// <summary>Held-out success of a policy on a suite, clean and under tool and user noise.</summary>
internal sealed record CleanNoisy(EvaluationReport Clean, EvaluationReport Noisy)
{
    /// <summary>Success of each held-out task, clean, in task order (empty when not kept).</summary>
    public bool[] CleanOutcomes { get; init; } = [];

    /// <summary>Success of each held-out task under noise, in task order (empty when not kept).</summary>
    public bool[] NoisyOutcomes { get; init; } = [];

    /// <summary>Whether the noisy figures are the clean ones because the suite gives noise nothing to perturb.</summary>
    public bool NoiseInapplicable { get; init; }
}

/// <summary>Greedy held-out evaluation of a TorchSharp policy on suites, clean and noisy.</summary>
internal static class SuiteEvaluation
{
    /// <summary>Episodes per batched generation.</summary>
    public const int BatchSize = 32;

    public static async Task<CleanNoisy> EvaluateAsync(ITaskSuite suite, MoeCausalLM model, ByteLevelTokenizer tokenizer, ChatTemplate template,
        int episodes, int maxTurns, NoiseLevel noise, ulong seed, CancellationToken cancellationToken, EvaluationEngine engine = EvaluationEngine.OnnxRuntime)
    {
        using var policy = EvaluationPolicy.Open(model, tokenizer, engine);
        var loop = SuiteSftJob.CreateLoop(policy.Generator, model.Config.MaxPositionEmbeddings, tokenizer, template, maxTurns);
        var (clean, cleanRuns) = await AgentEvaluator.EvaluateAsync(suite, loop, episodes, seed: seed, batchSize: BatchSize,
            cancellationToken: cancellationToken, maxConcurrency: policy.Concurrency);
        bool[] cleanOutcomes = [.. cleanRuns.Select(t => t.Success)];
        // A suite without tools or a simulated user runs exactly the same episodes under noise: not run twice.
        if (!NoisyEnvironment.ForLevel(suite.CreateEnvironment(), noise, seed).CanInject)
            return new CleanNoisy(clean, clean) { CleanOutcomes = cleanOutcomes, NoisyOutcomes = cleanOutcomes, NoiseInapplicable = true };

        int environments = 0;
        var (noisy, noisyRuns) = await AgentEvaluator.EvaluateAsync(suite, loop, episodes, seed: seed,
            wrapEnvironment: env => NoisyEnvironment.ForLevel(env, noise, seed * 7919 + (ulong)Interlocked.Increment(ref environments)),
            batchSize: BatchSize, cancellationToken: cancellationToken, maxConcurrency: policy.Concurrency);
        return new CleanNoisy(clean, noisy) { CleanOutcomes = cleanOutcomes, NoisyOutcomes = [.. noisyRuns.Select(t => t.Success)] };
    }
}

/// <summary>A policy's generator for evaluation on an <see cref="EvaluationEngine"/>, and how many batches it decodes at once.</summary>
internal sealed class EvaluationPolicy(ITokenGenerator generator, int concurrency, IDisposable? owned) : IDisposable
{
    public ITokenGenerator Generator { get; } = generator;

    public int Concurrency { get; } = concurrency;

    public static EvaluationPolicy Open(MoeCausalLM model, ByteLevelTokenizer tokenizer, EvaluationEngine engine)
    {
        if (engine == EvaluationEngine.TorchSharp) return new EvaluationPolicy(new PolicyGenerator(model, tokenizer.EndOfTextId), 1, null);

        var session = OnnxPolicyExporter.OpenSession(model, o =>
        {
            o.PadTokenId = tokenizer.EndOfTextId;
            o.IntraOpThreads = 1;
        });
        return new EvaluationPolicy(session, Math.Clamp(Environment.ProcessorCount, 1, 8), session);
    }

    public void Dispose() => owned?.Dispose();
}
