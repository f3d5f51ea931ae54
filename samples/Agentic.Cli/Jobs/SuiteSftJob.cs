using System.Diagnostics;
using Agentic.Core.Agents;
using Agentic.Core.Chat;
using Agentic.Core.Randomness;
using Agentic.Core.Tokenization;
using Agentic.Rl.Checkpoints;
using Agentic.Rl.Generation;
using Agentic.Rl.Modeling;
using Agentic.Rl.Training;
using Agentic.Training.Evaluation;
using Agentic.Training.Noise;
using Agentic.Training.Tasks;
using Microsoft.Extensions.AI;
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
    public int EvalMaxTurns { get; init; } = 12;
    public ulong Seed { get; init; } = 1;
}

/// <summary>What suite SFT measured.</summary>
internal sealed record SuiteSftReport(string Suite, int Demonstrations, int Dropped, int Steps, double Seconds, double FinalLoss,
    EvaluationReport Clean, EvaluationReport Noisy, string Checkpoint, bool Cancelled);

/// <summary>
/// Supervised fine-tuning of the default policy on a suite's scripted-expert demonstrations (clean and, for a share of
/// them, under tool noise, so the policy sees recoveries), then held-out evaluation of the trained policy through the
/// agent loop, clean and noisy. Tools are not listed in the system prompt (the suite's tool set is fixed and is learnt
/// from the demonstrations), which keeps byte-level sequences short; the checkpoint records that template choice.
/// </summary>
internal static class SuiteSftJob
{
    public const string TemplateToolsKey = "template.include_tools";

    public static async Task<SuiteSftReport> RunAsync(SuiteSftSettings settings, IAnsiConsole console, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var suite = TaskSuites.Create(settings.Suite, settings.Scale);
        var tokenizer = DefaultPolicy.CreateTokenizer();
        var template = new ChatTemplate(tokenizer, new ChatTemplateOptions { IncludeToolsInSystemPrompt = false });
        var config = DefaultPolicy.Config(tokenizer) with { MaxPositionEmbeddings = settings.MaxPositions };

        // Demonstrations: the expert's successful episodes, some of them under tool noise.
        var random = new DeterministicRandom(settings.Seed);
        var tasks = suite.SampleTraining(random, settings.Demonstrations);
        int noisyCount = (int)Math.Round(settings.Demonstrations * settings.NoisyFraction);
        var episodes = tasks.Select((t, i) =>
        {
            var environment = suite.CreateEnvironment();
            if (i < noisyCount && settings.Noise != NoiseLevel.None)
                environment = new NoisyEnvironment(environment, ToolNoiseOptions.ForLevel(settings.Noise, settings.Seed * 1_000_003 + (ulong)i));
            return new AgentEpisode(environment, t, (ulong)i);
        }).ToArray();
        var demos = new List<TokenizedConversation>();
        int dropped = 0;
        foreach (var chunk in episodes.Chunk(64))
        {
            foreach (var run in await new AgentLoop(suite.CreateExpert(), new AgentLoopOptions { MaxTurns = 40 }).RunAsync(chunk, cancellationToken))
            {
                var encoded = template.Encode(run.Messages);
                if (!run.Success || encoded.Count > settings.MaxPositions) { dropped++; continue; }
                demos.Add(encoded);
            }
        }
        if (demos.Count == 0) throw new InvalidOperationException($"No demonstration of {settings.Suite} fits in {settings.MaxPositions} positions.");

        using var model = new MoeCausalLM(config, seed: (long)settings.Seed);
        using var trainer = new SftTrainer(model, tokenizer.EndOfTextId, new SftOptions
        {
            Steps = settings.Steps, BatchSize = settings.BatchSize, LearningRate = settings.LearningRate,
            WarmupSteps = Math.Min(50, settings.Steps / 4), Seed = settings.Seed,
        });
        console.MarkupLine($"[bold]agentic sft[/] {settings.Suite}: {demos.Count} demonstrations ({noisyCount} under {settings.Noise} tool noise, {dropped} dropped: failed or longer than {settings.MaxPositions} tokens), median {demos.Select(d => d.Count).Order().ElementAt(demos.Count / 2)} tokens; {model.ParameterCount:N0} parameters");

        double lastLoss = double.NaN;
        bool cancelled = false;
        var checkpoint = Path.Combine(settings.OutputDirectory, "checkpoint");
        var metadata = new Dictionary<string, string> { ["task"] = settings.Suite, [TemplateToolsKey] = "false" };
        console.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask("sft", maxValue: settings.Steps);
                while (trainer.StepCount < settings.Steps)
                {
                    if (cancellationToken.IsCancellationRequested) { cancelled = true; break; }
                    if (clock.Elapsed > TimeSpan.FromMinutes(settings.MaxMinutes)) break;
                    var result = trainer.Step(trainer.SampleBatch(demos));
                    lastLoss = result.Loss;
                    bar.Increment(1);
                    bar.Description = $"sft {settings.Suite} step {result.Step} loss {result.Loss:F4}";
                    if (trainer.StepCount % 200 == 0) PolicyCheckpoint.Save(checkpoint, model, tokenizer, trainer, metadata);
                }
                bar.StopTask();
            });
        PolicyCheckpoint.Save(checkpoint, model, tokenizer, trainer, metadata);

        var loop = CreateLoop(model, tokenizer, template, settings.EvalMaxTurns);
        var (clean, _) = await AgentEvaluator.EvaluateAsync(suite, loop, settings.EvalEpisodes, seed: settings.Seed, cancellationToken: cancellationToken);
        int environments = 0;
        var (noisy, _) = await AgentEvaluator.EvaluateAsync(suite, loop, settings.EvalEpisodes, seed: settings.Seed,
            wrapEnvironment: env => new NoisyEnvironment(env, ToolNoiseOptions.ForLevel(NoiseLevel.High, settings.Seed + (ulong)Interlocked.Increment(ref environments))),
            cancellationToken: cancellationToken);
        return new SuiteSftReport(settings.Suite, demos.Count, dropped, trainer.StepCount, clock.Elapsed.TotalSeconds, lastLoss, clean, noisy, checkpoint, cancelled);
    }

    /// <summary>The agent loop over a TorchSharp policy, greedy, with the context the model allows.</summary>
    public static AgentLoop CreateLoop(MoeCausalLM model, ByteLevelTokenizer tokenizer, ChatTemplate template, int maxTurns) =>
        new(new PolicyGenerator(model, tokenizer.EndOfTextId), template, tokenizer, new AgentLoopOptions
        {
            MaxTurns = maxTurns,
            MaxTokens = model.Config.MaxPositionEmbeddings,
            MaxNewTokensPerTurn = 256,
            Temperature = 0,
            Seed = 0,
        });
}
