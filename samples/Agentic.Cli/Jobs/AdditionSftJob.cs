using System.Diagnostics;
using Agentic.Core.Chat;
using Agentic.Core.Randomness;
using Agentic.Core.Sampling;
using Agentic.Core.Tokenization;
using Agentic.Rl.Checkpoints;
using Agentic.Core.Generation;
using Agentic.Rl.Generation;
using Agentic.Rl.Modeling;
using Agentic.Rl.Training;
using Agentic.Training.Tasks.Addition;
using Spectre.Console;

namespace Agentic.Cli.Jobs;

/// <summary>Settings of <c>agentic sft --task addition</c>.</summary>
internal sealed record AdditionSftSettings
{
    public required string OutputDirectory { get; init; }
    public int Steps { get; init; } = 1500;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 3e-3;
    public int WarmupSteps { get; init; } = 100;
    public int Digits { get; init; } = 3;
    public AdditionFormat Format { get; init; } = AdditionFormat.ColumnScratchpad;
    public double MaxDigitsShare { get; init; } = 0.8;
    public int TrainingExamples { get; init; } = 200_000;
    public int HeldOutExamples { get; init; } = 1000;
    public int EvalEvery { get; init; } = 500;
    public int EvalExamples { get; init; } = 200;
    public int CheckpointEvery { get; init; } = 500;
    public double MaxMinutes { get; init; } = 9.5;
    public ulong Seed { get; init; } = 1;
    public int Threads { get; init; }
    public double WeightDecay { get; init; } = 0.01;
    public Agentic.Rl.Modeling.MoeTransformerConfig? Config { get; init; }
}

/// <summary>What <c>agentic sft</c> measured.</summary>
internal sealed record AdditionSftReport(
    double HeldoutExactMatch,
    int HeldoutExamples,
    double Seconds,
    int Steps,
    long TrainTokens,
    double TokensPerSecond,
    double FinalLoss,
    long Parameters,
    double ZeroExpertShare,
    double PeakResidentMegabytes,
    bool Cancelled,
    string Checkpoint);

/// <summary>Trains the default policy on multi-digit addition and measures held-out exact match.</summary>
internal static class AdditionSftJob
{
    public static AdditionSftReport Run(AdditionSftSettings settings, IAnsiConsole console, CancellationToken cancellationToken)
    {
        if (settings.Threads > 0) TorchSharp.torch.set_num_threads(settings.Threads);
        var clock = Stopwatch.StartNew();
        var tokenizer = DefaultPolicy.CreateTokenizer();
        var template = DefaultPolicy.CreateTemplate(tokenizer);
        var config = settings.Config ?? DefaultPolicy.Config(tokenizer);
        if (config.VocabSize < tokenizer.VocabularySize)
            throw new ArgumentException($"The model config's vocab_size ({config.VocabSize}) is smaller than the tokenizer's ({tokenizer.VocabularySize}).");
        var task = new AdditionTask(new AdditionTaskOptions { MaxDigits = settings.Digits, MaxDigitsShare = settings.MaxDigitsShare });

        var dataRandom = new DeterministicRandom(settings.Seed);
        var train = task.SampleTraining(dataRandom, settings.TrainingExamples)
            .Select(p => template.Encode(p.ToDemonstration(settings.Format)))
            .ToArray();
        var heldOut = task.SampleHeldOut(dataRandom.Fork(1), settings.HeldOutExamples);

        using var model = new MoeCausalLM(config, seed: (long)settings.Seed);
        var options = new SftOptions
        {
            Steps = settings.Steps,
            BatchSize = settings.BatchSize,
            LearningRate = settings.LearningRate,
            WarmupSteps = Math.Min(settings.WarmupSteps, settings.Steps / 4),
            Seed = settings.Seed,
            WeightDecay = settings.WeightDecay,
        };
        using var trainer = new SftTrainer(model, tokenizer.EndOfTextId, options);
        var checkpoint = Path.Combine(settings.OutputDirectory, "checkpoint");
        console.MarkupLine($"[bold]agentic sft[/] addition ({settings.Digits} digits, {settings.Format} replies): {model.ParameterCount:N0} parameters, " +
                           $"{config.NumExperts} routed + {config.NumZeroExperts} zero experts (top-{config.NumExpertsPerToken}), " +
                           $"{train.Length:N0} training examples, {heldOut.Count} held out");

        long tokens = 0;
        double lastLoss = double.NaN;
        bool cancelled = false;
        double lastAccuracy = double.NaN;
        var deadline = TimeSpan.FromMinutes(settings.MaxMinutes);

        console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask("sft", maxValue: settings.Steps);
                while (trainer.StepCount < settings.Steps)
                {
                    if (cancellationToken.IsCancellationRequested) { cancelled = true; break; }
                    if (clock.Elapsed > deadline) break;
                    var result = trainer.Step(trainer.SampleBatch(train));
                    tokens += result.Tokens;
                    lastLoss = result.Loss;
                    bar.Increment(1);
                    bar.Description = $"sft step {result.Step} loss {result.Loss:F4} lr {result.LearningRate:E1}" +
                                      (double.IsNaN(lastAccuracy) ? "" : $" acc {lastAccuracy:P0}");
                    bool last = trainer.StepCount == settings.Steps;
                    if (settings.EvalEvery > 0 && trainer.StepCount % settings.EvalEvery == 0 && !last)
                    {
                        lastAccuracy = Evaluate(model, template, tokenizer, heldOut.Take(settings.EvalExamples).ToArray(), cancellationToken);
                    }
                    if (settings.CheckpointEvery > 0 && trainer.StepCount % settings.CheckpointEvery == 0 && !last)
                    {
                        PolicyCheckpoint.Save(checkpoint, model, tokenizer, trainer);
                    }
                }
                bar.StopTask();
            });

        double trainSeconds = clock.Elapsed.TotalSeconds;
        PolicyCheckpoint.Save(checkpoint, model, tokenizer, trainer, new Dictionary<string, string>
        {
            ["task"] = "addition",
            ["steps"] = trainer.StepCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        model.ResetRoutingStatistics();
        double accuracy = cancelled ? double.NaN : Evaluate(model, template, tokenizer, heldOut, CancellationToken.None);
        var routing = model.GetRoutingStatistics();
        var report = new AdditionSftReport(
            HeldoutExactMatch: accuracy,
            HeldoutExamples: heldOut.Count,
            Seconds: clock.Elapsed.TotalSeconds,
            Steps: trainer.StepCount,
            TrainTokens: tokens,
            TokensPerSecond: tokens / Math.Max(trainSeconds, 1e-9),
            FinalLoss: lastLoss,
            Parameters: model.ParameterCount,
            ZeroExpertShare: routing.ZeroExpertShare,
            PeakResidentMegabytes: Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0),
            Cancelled: cancelled,
            Checkpoint: checkpoint);
        return report;
    }

    /// <summary>Greedy exact-match accuracy on <paramref name="problems"/>.</summary>
    public static double Evaluate(MoeCausalLM model, ChatTemplate template, ByteLevelTokenizer tokenizer,
        IReadOnlyList<AdditionProblem> problems, CancellationToken cancellationToken, int batchSize = 100)
    {
        if (problems.Count == 0) return double.NaN;
        var generator = new PolicyGenerator(model, tokenizer.EndOfTextId);
        var sampling = new SamplingOptions { Temperature = 0, MaxNewTokens = 24, StopTokenIds = template.StopTokenIds, Seed = 0 };
        int correct = 0;
        foreach (var chunk in problems.Chunk(batchSize))
        {
            var prompts = chunk.Select(p => (IReadOnlyList<int>)template.Encode(p.ToPrompt(), addGenerationPrompt: true).Ids).ToArray();
            var results = generator.Generate(prompts, sampling, cancellationToken);
            for (int i = 0; i < chunk.Length; i++)
            {
                if (chunk[i].IsCorrect(DecodeReply(tokenizer, template, results[i].TokenIds))) correct++;
            }
        }
        return (double)correct / problems.Count;
    }

    /// <summary>Decodes a generated reply without its trailing stop token.</summary>
    public static string DecodeReply(ByteLevelTokenizer tokenizer, ChatTemplate template, int[] ids)
    {
        int length = ids.Length;
        if (length > 0 && template.StopTokenIds.Contains(ids[^1])) length--;
        return tokenizer.Decode(ids.AsSpan(0, length).ToArray());
    }
}
