using System.Diagnostics;
using Agentic.Core.Agents;
using Agentic.Core.Chat;
using Agentic.Core.Generation;
using Agentic.Core.Tokenization;
using Agentic.Rl.Generation;
using Agentic.Rl.Modeling;
using Agentic.Training.Evaluation;
using Agentic.Training.Noise;
using Agentic.Training.Tasks;
using Spectre.Console;

namespace Agentic.Cli.Jobs;

/// <summary>Settings of <c>agentic sft --task SUITE</c>.</summary>
internal sealed record SuiteSftSettings
{
    public required string Suite { get; init; }
    public required string OutputDirectory { get; init; }
    public SuiteScale Scale { get; init; } = SuiteScale.Standard;
    public int Demonstrations { get; init; } = 2000;
    public double NoisyFraction { get; init; } = 0.3;
    public NoiseLevel Noise { get; init; } = NoiseLevel.Medium;
    public int Steps { get; init; } = 600;
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 3e-3;
    public int EvalEpisodes { get; init; } = 50;
    public double MaxMinutes { get; init; } = 12;
    public int MaxPositions { get; init; } = 1024;
    public int Merges { get; init; } = 1024;
    public int EvalMaxTurns { get; init; } = 12;
    public ulong Seed { get; init; } = 1;
}

/// <summary>What suite SFT measured.</summary>
internal sealed record SuiteSftReport(string Suite, int Demonstrations, int Dropped, int Steps, double Seconds, double FinalLoss,
    EvaluationReport Clean, EvaluationReport Noisy, string Checkpoint, bool Cancelled);

/// <summary>
/// Supervised fine-tuning of the default policy on one suite's scripted-expert demonstrations (the warm start of
/// <c>agentic train</c> with a single suite: clean and tool-noisy demonstrations, a fitted byte-pair tokenizer,
/// length-bucketed batches), then held-out evaluation of the trained policy through the agent loop, clean and under
/// high tool noise. Tools are not listed in the system prompt (the suite's tool set is fixed and is learnt from the
/// demonstrations); the checkpoint records that template choice.
/// </summary>
internal static class SuiteSftJob
{
    public const string TemplateToolsKey = "template.include_tools";

    public static async Task<SuiteSftReport> RunAsync(SuiteSftSettings settings, IAnsiConsole console, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var suite = TaskSuites.Create(settings.Suite, settings.Scale);
        var train = new TrainSettings
        {
            OutputDirectory = settings.OutputDirectory, Suites = [settings.Suite], Scale = settings.Scale,
            DemonstrationsPerSuite = settings.Demonstrations, NoisyDemonstrationFraction = settings.NoisyFraction, DemonstrationNoise = settings.Noise,
            SftSteps = settings.Steps, SftBatchSize = settings.BatchSize, SftLearningRate = settings.LearningRate, SftMinutes = settings.MaxMinutes,
            MaxPositions = settings.MaxPositions, Merges = settings.Merges, Seed = settings.Seed,
        };
        var metadata = new Dictionary<string, string> { ["task"] = settings.Suite, ["scale"] = settings.Scale.ToString(), [TemplateToolsKey] = "false" };
        var warm = await WarmStart.RunAsync(train, [suite], metadata, null, console, clock, cancellationToken, checkpointName: "checkpoint");
        using var model = warm.Model;
        var result = await SuiteEvaluation.EvaluateAsync(suite, model, warm.Tokenizer, warm.Template, settings.EvalEpisodes, settings.EvalMaxTurns, NoiseLevel.High, settings.Seed, cancellationToken);
        return new SuiteSftReport(settings.Suite, warm.Demonstrations, warm.Dropped, warm.Steps, clock.Elapsed.TotalSeconds, warm.FinalLoss,
            result.Clean, result.Noisy, warm.Checkpoint!, warm.Cancelled);
    }

    /// <summary>The greedy agent loop over a policy's generator, with the context the model allows.</summary>
    public static AgentLoop CreateLoop(ITokenGenerator generator, int maxPositions, ByteLevelTokenizer tokenizer, ChatTemplate template, int maxTurns) =>
        new(generator, template, tokenizer, new AgentLoopOptions
        {
            MaxTurns = maxTurns,
            MaxTokens = maxPositions,
            MaxNewTokensPerTurn = 256,
            Temperature = 0,
            Seed = 0,
        });
}
