using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Agentic.Cli.Jobs;
using Agentic.Rl.Losses;
using Agentic.Rl.Rollouts;
using Agentic.Training.Noise;
using Agentic.Training.Tasks;
using Agentic.Training.Tasks.LongContext;

namespace Agentic.Cli.Commands;

/// <summary>The options shared by <c>agentic train</c> and the RL experiments, with the main job's defaults.</summary>
internal sealed class TrainOptions
{
    private static readonly TrainSettings s_defaults = new();

    public Option<string> Output { get; } = new("--out") { Description = "Output folder (checkpoints, metrics, report)", DefaultValueFactory = _ => s_defaults.OutputDirectory };
    public Option<string> Suites { get; } = new("--suites") { Description = "Comma-separated suites to train on", DefaultValueFactory = _ => string.Join(",", s_defaults.Suites) };
    public Option<SuiteScale> Scale { get; } = new("--scale") { Description = "Suite size preset", DefaultValueFactory = _ => s_defaults.Scale };
    public Option<int> Demos { get; } = new("--demos") { Description = "Expert demonstrations per suite for the SFT warm start", DefaultValueFactory = _ => s_defaults.DemonstrationsPerSuite };
    public Option<string?> SuiteDemos { get; } = new("--suite-demos") { Description = "Demonstrations of single suites instead of --demos, as suite=N pairs separated by commas (e.g. longcontext=1200)" };
    public Option<double> NoisyDemos { get; } = new("--noisy-demos") { Description = "Share of the demonstrations played under tool noise (0 = clean warm start: robustness is left to RL, as in NoisyAgent)", DefaultValueFactory = _ => s_defaults.NoisyDemonstrationFraction };
    public Option<bool> DemoUserNoise { get; } = new("--demo-user-noise") { Description = "User noise (not only tool noise) on the noisy share of the demonstrations", DefaultValueFactory = _ => s_defaults.DemonstrationUserNoise };
    public Option<bool> AttentionSinks { get; } = new("--attention-sinks") { Description = "Give each attention head of the policy a learned sink logit, so it can attend to nothing when no position matches (default on; --attention-sinks false trains without)", DefaultValueFactory = _ => s_defaults.AttentionSinks };
    public Option<int> PreviousTokens { get; } = new("--previous-tokens") { Description = "How many preceding tokens each position of the policy embeds (a token-shift prior for copying; 0 = none, 3 = the three before)", DefaultValueFactory = _ => s_defaults.PreviousTokens };
    public Option<int> SftSteps { get; } = new("--sft-steps") { Description = "SFT optimizer steps", DefaultValueFactory = _ => s_defaults.SftSteps };
    public Option<int> SftBatch { get; } = new("--sft-batch") { Description = "SFT sequences per step", DefaultValueFactory = _ => s_defaults.SftBatchSize };
    public Option<double> SftLr { get; } = new("--sft-lr") { Description = "SFT peak learning rate", DefaultValueFactory = _ => s_defaults.SftLearningRate };
    public Option<double> SftMinutes { get; } = new("--sft-minutes") { Description = "Wall-clock cap of the SFT phase", DefaultValueFactory = _ => s_defaults.SftMinutes };
    public Option<int> RlSteps { get; } = new("--rl-steps") { Description = "RL steps (rollout batches) per run", DefaultValueFactory = _ => s_defaults.RlSteps };
    public Option<double> RlMinutes { get; } = new("--rl-minutes") { Description = "Wall-clock cap of each RL run", DefaultValueFactory = _ => s_defaults.RlMinutes };
    public Option<string> RlLongContext { get; } = new("--rl-longcontext") { Description = "Comma-separated question kinds the RL phase draws longcontext tasks from: SingleNeedle, MultiKey, VariableTracking (default all three; the warm start and the evaluation always keep all three)", DefaultValueFactory = _ => string.Join(",", s_defaults.RlLongContextQuestions) };
    public Option<int> GroupSize { get; } = new("--group-size") { Description = "Rollouts per task (GRPO group)", DefaultValueFactory = _ => s_defaults.GroupSize };
    public Option<int> TasksPerStep { get; } = new("--tasks-per-step") { Description = "Tasks (groups) per RL step", DefaultValueFactory = _ => s_defaults.TasksPerStep };
    public Option<double> LearningRate { get; } = new("--lr") { Description = "RL learning rate", DefaultValueFactory = _ => s_defaults.RlLearningRate };
    public Option<LossAggregation> Aggregation { get; } = new("--aggregation") { Description = "How the policy loss averages tokens: TokenMean (DAPO) or SequenceMean (GRPO)", DefaultValueFactory = _ => s_defaults.Aggregation };
    public Option<double> Temperature { get; } = new("--temperature") { Description = "Sampling temperature of the RL rollouts (the loss uses the same)", DefaultValueFactory = _ => s_defaults.RolloutTemperature };
    public Option<double> MemoryReward { get; } = new("--memory-reward") { Description = "Weight of the memory-evidence reward (share of the evidence read so far that the <memory> notes hold verbatim; longcontext; 0 = off)", DefaultValueFactory = _ => s_defaults.MemoryEvidence };
    public Option<double> ExitReward { get; } = new("--exit-reward") { Description = "Weight of the exit-timing reward (GRU-Mem's exit gate: -1 for an answer before the evidence has been read; longcontext; 0 = off)", DefaultValueFactory = _ => s_defaults.ExitTiming };
    public Option<double> KeyReward { get; } = new("--key-reward") { Description = "Weight of the stated-key reward (1 when the answering message names the asked key before the answer, as the expert's stated fact does; longcontext; 0 = off)", DefaultValueFactory = _ => s_defaults.StatedKey };
    public Option<int> VerifyEvery { get; } = new("--verify-every") { Description = "Self-verification as a second RL task every N RL steps, on the policy's own answers in the suites that end in <answer> (0 = off; the warm start then also learns to judge the experts' answers)", DefaultValueFactory = _ => s_defaults.VerifyEvery };
    public Option<double> AnswerSimilarity { get; } = new("--answer-similarity") { Description = "Weight of the near-miss partial credit (character similarity of the answer to the gold answer; 0 = off)", DefaultValueFactory = _ => s_defaults.AnswerSimilarity };
    public Option<bool> ExpertRecovery { get; } = new("--expert-recovery") { Description = "Recovery guidance: the suite's scripted expert takes over a failed RL rollout from the policy's own state (the latest turn it still succeeds from) and the recovery joins the subgroup", DefaultValueFactory = _ => s_defaults.ExpertRecovery };
    public Option<bool> PositiveAdvantages { get; } = new("--positive-advantages") { Description = "Self-imitation: negative advantages become zero, so only the rollouts better than their subgroup's mean carry loss (RAFT-like)", DefaultValueFactory = _ => s_defaults.PositiveAdvantages };
    public Option<bool> ExpertGuidance { get; } = new("--expert-guidance") { Description = "Off-policy guidance: the suite's scripted expert adds one rollout to each RL subgroup (LUFFY; on by default except with --async, --expert-guidance false turns it off)", DefaultValueFactory = _ => s_defaults.ExpertGuidance };
    public Option<CreditAssignment> Credit { get; } = new("--credit") { Description = "How a rollout's advantage is spread over its tokens: Episode (GRPO) or PrefixTree (where the group's rollouts branch)", DefaultValueFactory = _ => s_defaults.Credit };
    public Option<bool> BalanceRouters { get; } = new("--balance-routers") { Description = "Keep moving the MoE router bias toward uniform load during RL (false: frozen where SFT left it)", DefaultValueFactory = _ => s_defaults.BalanceRouters };
    public Option<int> RolloutBatches { get; } = new("--rollout-batches") { Description = "Most rollout batches per RL step: while dynamic sampling keeps fewer groups than --tasks-per-step, roll out another batch (DAPO's refill; 1 = off)", DefaultValueFactory = _ => s_defaults.RolloutBatches };
    public Option<double> MaxSubgroupSuccess { get; } = new("--max-subgroup-success") { Description = "Difficulty filter: clean or noisy rollouts of a group that succeeded more often than this share carry no loss (their slips are not greedy decoding's failures; 1 = off)", DefaultValueFactory = _ => s_defaults.MaxSubgroupSuccess };
    public Option<double> Replay { get; } = new("--replay") { Description = "Chance that an RL group replays a partly solved training task instead of a new one (0 = off)", DefaultValueFactory = _ => s_defaults.ReplayFraction };
    public Option<double> TopP { get; } = new("--top-p") { Description = "Nucleus truncation of the RL rollout sampler (1 = off; below 1 drops rare slip tokens)", DefaultValueFactory = _ => s_defaults.RolloutTopP };
    public Option<bool> Noise { get; } = new("--noise") { Description = "Noise curriculum during RL (false: clean rollouts only)", DefaultValueFactory = _ => s_defaults.Noise };
    public Option<NoiseLevel> MaxNoise { get; } = new("--max-noise") { Description = "Highest level the noise curriculum reaches", DefaultValueFactory = _ => s_defaults.MaxNoise };
    public Option<bool> Schedule { get; } = new("--schedule") { Description = "Share rollouts between suites by recent success (false: round-robin)", DefaultValueFactory = _ => s_defaults.Schedule };
    public Option<bool> SharedSeeds { get; } = new("--shared-seeds") { Description = "Common random numbers: the noisy rollouts of a group share one noise seed (false: one per rollout)", DefaultValueFactory = _ => s_defaults.SharedSeeds };
    public Option<bool> Dgg { get; } = new("--dgg") { Description = "Dynamic Gradient Gating of reused rollout batches", DefaultValueFactory = _ => s_defaults.Dgg };
    public Option<int> Reuse { get; } = new("--reuse") { Description = "Most updates per rollout batch (K)", DefaultValueFactory = _ => s_defaults.MaxReuse };
    public Option<int> EvalEpisodes { get; } = new("--eval-episodes") { Description = "Held-out tasks per suite, evaluated clean and noisy", DefaultValueFactory = _ => s_defaults.EvalEpisodes };
    public Option<RolloutDecoder> RolloutEngine { get; } = new("--rollout-engine") { Description = "Decoder of the RL rollouts: OnnxRuntime (an export of the current weights per rollout batch) or TorchSharp", DefaultValueFactory = _ => s_defaults.RolloutDecoder };
    public Option<EvaluationEngine> EvalEngine { get; } = new("--eval-engine") { Description = "Decoder of the held-out evaluation: OnnxRuntime (the exported policy, a batch per core) or TorchSharp", DefaultValueFactory = _ => s_defaults.EvalEngine };
    public Option<NoiseLevel> EvalNoise { get; } = new("--eval-noise") { Description = "Noise level (tool and user) of the noisy evaluation", DefaultValueFactory = _ => s_defaults.EvalNoise };
    public Option<string?> From { get; } = new("--from") { Description = "Start RL from this checkpoint instead of an SFT warm start" };
    public Option<bool> Resume { get; } = new("--resume") { Description = "Continue the interrupted run in --out from its last complete checkpoint" };
    public Option<ulong> Seed { get; } = new("--seed") { Description = "Seed of everything", DefaultValueFactory = _ => s_defaults.Seed };
    public Option<int> Merges { get; } = new("--merges") { Description = "Byte-pair merges fitted on the demonstrations (0 = byte-level tokens)", DefaultValueFactory = _ => s_defaults.Merges };
    public Option<int> MaxPositions { get; } = new("--max-positions") { Description = "Context length of the policy (longer demonstrations are dropped)", DefaultValueFactory = _ => s_defaults.MaxPositions };
    public Option<bool> Async { get; } = new("--async") { Description = "Asynchronous RL: rollout workers generate while the trainer trains" };
    public Option<int> Workers { get; } = new("--workers") { Description = "Rollout workers of --async", DefaultValueFactory = _ => s_defaults.Workers };
    public Option<int> MaxStaleness { get; } = new("--max-staleness") { Description = "With --async, drop groups generated more than this many policy versions ago", DefaultValueFactory = _ => s_defaults.MaxStaleness };
    public Option<int> CheckpointEvery { get; } = new("--checkpoint-every") { Description = "RL steps between checkpoints", DefaultValueFactory = _ => s_defaults.CheckpointEvery };
    public Option<string?> Json { get; } = new("--json") { Description = "Write the figures as JSON to this file" };

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (Option o in new Option[] { Output, Suites, Scale, Demos, SuiteDemos, NoisyDemos, DemoUserNoise, PreviousTokens, AttentionSinks, SftSteps, SftBatch, SftLr, SftMinutes, RlSteps, RlMinutes, RlLongContext, GroupSize, TasksPerStep, RolloutBatches, LearningRate, Aggregation, Temperature, TopP, Credit, BalanceRouters, Replay, MaxSubgroupSuccess, AnswerSimilarity, MemoryReward, ExitReward, KeyReward, VerifyEvery, ExpertGuidance, ExpertRecovery, PositiveAdvantages, Noise, MaxNoise, Schedule, SharedSeeds, Dgg, Reuse, RolloutEngine, EvalEpisodes, EvalEngine, EvalNoise, From, Resume, Seed, Merges, MaxPositions, Async, Workers, MaxStaleness, CheckpointEvery, Json })
            command.Options.Add(o);
    }

    /// <summary>Whether <paramref name="option"/> was left out of the command line (its default applies).</summary>
    public static bool Unset(ParseResult parse, Option option) => parse.GetResult(option) is null or { Implicit: true };

    /// <summary>The settings the parsed options give; <paramref name="defaultOutput"/> replaces the default output folder.</summary>
    /// <exception cref="ValidationException">The options combine what the RL loops do not run.</exception>
    public TrainSettings Settings(ParseResult parse, string? defaultOutput = null) => new TrainSettings
    {
        OutputDirectory = defaultOutput is not null && Unset(parse, Output) ? defaultOutput : parse.GetValue(Output)!,
        Suites = [.. parse.GetValue(Suites)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
        Scale = parse.GetValue(Scale),
        DemonstrationsPerSuite = parse.GetValue(Demos),
        SuiteDemonstrations = ParseSuiteDemonstrations(parse.GetValue(SuiteDemos)),
        NoisyDemonstrationFraction = parse.GetValue(NoisyDemos),
        DemonstrationUserNoise = parse.GetValue(DemoUserNoise),
        PreviousTokens = parse.GetValue(PreviousTokens),
        AttentionSinks = parse.GetValue(AttentionSinks),
        SftBatchSize = parse.GetValue(SftBatch),
        SftLearningRate = parse.GetValue(SftLr),
        SftSteps = parse.GetValue(SftSteps),
        SftMinutes = parse.GetValue(SftMinutes),
        RlSteps = parse.GetValue(RlSteps),
        RlMinutes = parse.GetValue(RlMinutes),
        RlLongContextQuestions = ParseQuestions(parse.GetValue(RlLongContext)),
        GroupSize = parse.GetValue(GroupSize),
        TasksPerStep = parse.GetValue(TasksPerStep),
        RlLearningRate = parse.GetValue(LearningRate),
        Aggregation = parse.GetValue(Aggregation),
        RolloutTemperature = parse.GetValue(Temperature),
        RolloutTopP = parse.GetValue(TopP),
        Credit = parse.GetValue(Credit),
        BalanceRouters = parse.GetValue(BalanceRouters),
        ReplayFraction = parse.GetValue(Replay),
        MaxSubgroupSuccess = parse.GetValue(MaxSubgroupSuccess),
        RolloutBatches = parse.GetValue(RolloutBatches),
        AnswerSimilarity = parse.GetValue(AnswerSimilarity),
        MemoryEvidence = parse.GetValue(MemoryReward),
        ExitTiming = parse.GetValue(ExitReward),
        StatedKey = parse.GetValue(KeyReward),
        VerifyEvery = parse.GetValue(VerifyEvery),
        // The asynchronous trainer takes the policy's own rollouts only: with --async, guidance is off unless asked for (then refused by Validate).
        ExpertGuidance = parse.GetValue(ExpertGuidance) && !(parse.GetValue(Async) && Unset(parse, ExpertGuidance)),
        ExpertRecovery = parse.GetValue(ExpertRecovery),
        PositiveAdvantages = parse.GetValue(PositiveAdvantages),
        Noise = parse.GetValue(Noise),
        MaxNoise = parse.GetValue(MaxNoise),
        Schedule = parse.GetValue(Schedule),
        SharedSeeds = parse.GetValue(SharedSeeds),
        Dgg = parse.GetValue(Dgg),
        MaxReuse = parse.GetValue(Reuse),
        EvalEpisodes = parse.GetValue(EvalEpisodes),
        EvalNoise = parse.GetValue(EvalNoise),
        EvalEngine = parse.GetValue(EvalEngine),
        RolloutDecoder = parse.GetValue(RolloutEngine),
        StartFrom = parse.GetValue(From),
        Resume = parse.GetValue(Resume),
        Seed = parse.GetValue(Seed),
        Merges = parse.GetValue(Merges),
        MaxPositions = parse.GetValue(MaxPositions),
        Async = parse.GetValue(Async),
        Workers = parse.GetValue(Workers),
        MaxStaleness = parse.GetValue(MaxStaleness),
        CheckpointEvery = parse.GetValue(CheckpointEvery),
        Command = "agentic " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
    }.Validate();

    /// <summary>The question kinds of --rl-longcontext, in the enum's order (so the same set draws the same tasks).</summary>
    /// <exception cref="ValidationException">A kind is unknown, or none is given.</exception>
    private static LongContextQuestion[] ParseQuestions(string? value)
    {
        var kinds = (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var questions = kinds.Select(k => Enum.TryParse<LongContextQuestion>(k, ignoreCase: true, out var q) && Enum.IsDefined(q) && !char.IsDigit(k[0])
            ? q
            : throw new ValidationException($"--rl-longcontext takes question kinds ({string.Join(", ", Enum.GetNames<LongContextQuestion>())}) separated by commas, not '{k}'.")).Distinct().Order().ToArray();
        return questions.Length > 0 ? questions : throw new ValidationException("--rl-longcontext needs at least one question kind.");
    }

    /// <summary>The suite=N pairs of --suite-demos (none when the option is left out).</summary>
    /// <exception cref="ValidationException">A pair is not suite=N with a whole N, or names a suite twice.</exception>
    private static Dictionary<string, int> ParseSuiteDemonstrations(string? value)
    {
        var demonstrations = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = pair.Split('=', StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
                throw new ValidationException($"--suite-demos takes suite=N pairs separated by commas (e.g. longcontext=1200), not '{pair}'.");
            if (!demonstrations.TryAdd(parts[0], n)) throw new ValidationException($"--suite-demos names '{parts[0]}' twice.");
        }
        return demonstrations;
    }
}
