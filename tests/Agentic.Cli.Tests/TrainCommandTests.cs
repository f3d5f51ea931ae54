using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Agentic.Cli.Commands;
using Agentic.Cli.Jobs;
using Agentic.Core.Randomness;
using Agentic.Training.Tasks;
using Agentic.Training.Tasks.LongContext;

namespace Agentic.Cli.Tests;

/// <summary>The main job and the RL experiments run end to end with a tiny budget.</summary>
[Collection("console")]
public sealed class TrainCommandTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "agentic-train-" + Guid.NewGuid().ToString("N"));

    // One suite, a handful of demonstrations, two SFT steps, two small RL steps, two evaluation episodes.
    private static readonly string[] s_tiny =
    [
        "--suites", "searchqa", "--demos", "12", "--sft-steps", "2", "--rl-steps", "2", "--group-size", "2", "--tasks-per-step", "2",
        "--eval-episodes", "2", "--merges", "64", "--max-positions", "384",
    ];

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static int Run(params string[] args) => AgenticCommandLine.Build().Parse(args).Invoke();

    private static JsonElement ReadJson(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    [Fact]
    public void Train_writes_the_report_the_plot_the_metrics_and_a_loadable_checkpoint()
    {
        var output = Path.Combine(_root, "train");
        Assert.Equal(0, Run(["train", "--out", output, .. s_tiny, "--suite-demos", "searchqa=10"]));

        var report = ReadJson(Path.Combine(output, "report.json"));
        Assert.Contains("12 demonstrations per suite (searchqa: 10)", report.GetProperty("config").GetProperty("warm_start").GetString(), StringComparison.Ordinal);
        var suite = report.GetProperty("suites").GetProperty("searchqa");
        foreach (var phase in new[] { "sft", "rl" })
        {
            foreach (var condition in new[] { "clean", "noisy" })
                Assert.InRange(suite.GetProperty(phase).GetProperty(condition).GetDouble(), 0, 1);
        }
        // The differences come with paired intervals (same tasks and seeds before and after RL).
        foreach (var condition in new[] { "clean", "noisy" })
        {
            var ci = report.GetProperty("delta_ci").GetProperty("searchqa").GetProperty(condition).EnumerateArray().Select(x => x.GetDouble()).ToArray();
            double delta = suite.GetProperty("rl").GetProperty(condition).GetDouble() - suite.GetProperty("sft").GetProperty(condition).GetDouble();
            Assert.InRange(delta, ci[0] - 1e-9, ci[1] + 1e-9);
        }
        Assert.Contains("30% under Medium tool noise", report.GetProperty("config").GetProperty("warm_start").GetString(), StringComparison.Ordinal);
        Assert.Contains("embeddings of the 3 previous tokens, attention sinks", report.GetProperty("config").GetProperty("warm_start").GetString(), StringComparison.Ordinal);
        Assert.Contains("decoded by ONNX Runtime", report.GetProperty("notes")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal("SingleNeedle,MultiKey,VariableTracking", report.GetProperty("config").GetProperty("rl_longcontext_questions").GetString());
        Assert.Equal("off", report.GetProperty("config").GetProperty("stated_key").GetString());
        // The main job's RL groups hold the scripted expert's episodes (LUFFY guidance) unless turned off.
        Assert.StartsWith("on", report.GetProperty("config").GetProperty("expert_guidance").GetString(), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output, "report.md")));
        Assert.True(new FileInfo(Path.Combine(output, "plot.png")).Length > 1000);
        var metrics = File.ReadAllLines(Path.Combine(output, "metrics.jsonl"));
        Assert.Equal(2, metrics.Count(l => l.Contains("\"phase\":\"rl\"", StringComparison.Ordinal)));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(output, "tensorboard")));

        // The policy embeds the three tokens before each position (the main job's default).
        var checkpointConfig = File.ReadAllText(Directory.GetFiles(Path.Combine(output, "checkpoint"), "config.json", SearchOption.AllDirectories)[0]);
        Assert.Contains("\"previous_token_window\": 3", checkpointConfig, StringComparison.Ordinal);
        // Each attention head has a learned sink logit (the main job's default since session 25).
        Assert.Contains("\"attention_sinks\": true", checkpointConfig, StringComparison.Ordinal);

        // The RL checkpoint is a policy the other commands load.
        var evalJson = Path.Combine(_root, "eval.json");
        Assert.Equal(0, Run("eval", "--policy", Path.Combine(output, "checkpoint"), "--suite", "searchqa", "--scale", "Small", "--episodes", "1", "--json", evalJson));
        Assert.Equal(1, ReadJson(evalJson).GetProperty("episodes").GetInt32());

        // RL can start from a checkpoint instead of a warm start, with another loss aggregation and rollout temperature,
        // expert guidance and recovery, positive-only (self-imitation) advantages, the near-miss, memory-evidence and exit-timing reward terms, prefix-tree credit, frozen router balancing,
        // task replay, the difficulty filter, dynamic sampling's refill, self-verification and the TorchSharp evaluation engine.
        var again = Path.Combine(_root, "again");
        Assert.Equal(0, Run(["train", "--out", again, "--from", Path.Combine(output, "sft"), "--aggregation", "SequenceMean", "--temperature", "0.8",
            "--expert-guidance", "--expert-recovery", "--positive-advantages", "--answer-similarity", "0.5", "--credit", "PrefixTree", "--balance-routers", "false", "--replay", "0.5", "--max-subgroup-success", "0.75", "--memory-reward", "0.3", "--exit-reward", "0.5", "--rollout-batches", "3", "--verify-every", "1", "--eval-engine", "TorchSharp", .. s_tiny]));
        var settings = ReadJson(Path.Combine(again, "report.json")).GetProperty("config");
        Assert.Contains("(TorchSharp)", ReadJson(Path.Combine(again, "report.json")).GetProperty("notes")[0].GetString(), StringComparison.Ordinal);
        var config = settings.GetProperty("policy_loss").GetString();
        Assert.Contains("SequenceMean", config, StringComparison.Ordinal);
        Assert.Contains("0.8", config, StringComparison.Ordinal);
        Assert.Contains("prefix-tree credit", config, StringComparison.Ordinal);
        Assert.Contains("router bias frozen", config, StringComparison.Ordinal);
        Assert.StartsWith("50%", settings.GetProperty("task_replay").GetString(), StringComparison.Ordinal);
        Assert.Contains("more than 75% successes", settings.GetProperty("max_subgroup_success").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("on", settings.GetProperty("expert_guidance").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("on", settings.GetProperty("expert_recovery").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("positive only (self-imitation)", settings.GetProperty("advantages").GetString(), StringComparison.Ordinal);
        Assert.Equal("0.5", settings.GetProperty("answer_similarity").GetString());
        Assert.Equal("0.3", settings.GetProperty("memory_evidence").GetString());
        Assert.Equal("0.5", settings.GetProperty("exit_timing").GetString());
        Assert.Contains("refill up to 3 rollout batches", settings.GetProperty("dynamic_sampling").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("every 1 RL steps", settings.GetProperty("self_verification").GetString(), StringComparison.Ordinal);
        // Self-verification is measured on balanced held-out expert pairs before and after RL.
        var figures = ReadJson(Path.Combine(again, "report.json")).GetProperty("figures");
        Assert.True(figures.GetProperty("verification_pairs").GetDouble() >= 2);
        Assert.InRange(figures.GetProperty("verification_sft").GetDouble(), 0, 1);
        Assert.InRange(figures.GetProperty("verification_rl").GetDouble(), 0, 1);
        var rlLines = File.ReadLines(Path.Combine(again, "metrics.jsonl")).Where(l => l.Contains("\"rl\"", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(rlLines);
        Assert.All(rlLines, l => Assert.Contains("guidance_rollouts", l, StringComparison.Ordinal));
        Assert.All(rlLines, l => Assert.Contains("recovery_rollouts", l, StringComparison.Ordinal));

        // A checkpoint whose weights hold a NaN is refused before any work: a failed run, no report.
        var nan = Path.Combine(_root, "nan-sft");
        Agentic.Rl.Tests.Checkpoints.NanCheckpoint.Write(Path.Combine(output, "sft"), nan);
        var refused = Path.Combine(_root, "refused");
        Assert.NotEqual(0, Run(["train", "--out", refused, "--from", nan, .. s_tiny]));
        Assert.False(File.Exists(Path.Combine(refused, "report.json")));
    }

    [Fact]
    public void The_main_job_defaults_to_800_demonstrations_and_expert_guidance_and_async_runs_without_it()
    {
        TrainSettings Parse(params string[] args)
        {
            var options = new TrainOptions();
            var command = new Command("train");
            options.AddTo(command);
            return options.Settings(command.Parse(args));
        }

        var defaults = Parse();
        Assert.Equal(800, defaults.DemonstrationsPerSuite);
        Assert.True(defaults.ExpertGuidance);
        Assert.Equal(160, defaults.RlSteps);
        var changed = Parse("--demos", "2400", "--expert-guidance", "false");
        Assert.Equal(2400, changed.DemonstrationsPerSuite);
        Assert.False(changed.ExpertGuidance);
        // The asynchronous trainer has no guidance: --async alone turns it off, and asking for both is refused before any work.
        Assert.False(Parse("--async").ExpertGuidance);
        Assert.Contains("synchronous", Assert.Throws<ValidationException>(() => Parse("--async", "--expert-guidance")).Message, StringComparison.Ordinal);
        Assert.Throws<ValidationException>(() => Parse("--async", "--expert-guidance", "false", "--verify-every", "2"));
    }

    [Theory]
    [InlineData("longcontext")]
    [InlineData("longcontext=many")]
    [InlineData("shop=100")]
    [InlineData("longcontext=0")]
    [InlineData("longcontext=1200,LongContext=900")]
    public void Suite_demonstrations_are_refused_unless_whole_positive_counts_of_suites_trained_on(string value)
    {
        var options = new TrainOptions();
        var command = new Command("train");
        options.AddTo(command);
        Assert.Throws<ValidationException>(() => options.Settings(command.Parse(["--suite-demos", value])));
    }

    [Theory]
    [InlineData("")]
    [InlineData("MultiKey,Chess")]
    [InlineData("1")]
    public void Rl_longcontext_questions_are_refused_unless_known_kinds(string value)
    {
        var options = new TrainOptions();
        var command = new Command("train");
        options.AddTo(command);
        Assert.Throws<ValidationException>(() => options.Settings(command.Parse(["--rl-longcontext", value])));
    }

    [Fact]
    public void The_rl_phase_draws_longcontext_tasks_from_the_chosen_questions_and_leaves_the_other_suites_alone()
    {
        var options = new TrainOptions();
        var command = new Command("train");
        options.AddTo(command);
        var suites = new[] { TaskSuites.Create("tooluse", SuiteScale.Small), TaskSuites.Create("longcontext", SuiteScale.Small) };

        // By default the RL phase draws the same tasks as the suite itself.
        var rl = options.Settings(command.Parse([])).RlSuites(suites);
        Assert.Same(suites[0], rl[0]);
        Assert.Equal(suites[1].SampleTraining(new DeterministicRandom(1), 30).Select(t => t.Instruction), rl[1].SampleTraining(new DeterministicRandom(1), 30).Select(t => t.Instruction));

        var multiKey = options.Settings(command.Parse(["--rl-longcontext", "MultiKey"])).RlSuites(suites);
        Assert.All(multiKey[1].SampleTraining(new DeterministicRandom(1), 30).Cast<LongContextTask>(), t => Assert.Equal(LongContextQuestion.MultiKey, t.Question));
        // The evaluation keeps the whole suite, and the RL tasks keep its scale (two sections).
        Assert.Equal(3, suites[1].HeldOut(60).Cast<LongContextTask>().Select(t => t.Question).Distinct().Count());
        Assert.All(multiKey[1].SampleTraining(new DeterministicRandom(2), 10).Cast<LongContextTask>(), t => Assert.Equal(2, t.Chunks.Count));

        var chosen = options.Settings(command.Parse(["--rl-longcontext", "variabletracking, SingleNeedle"])).RlSuites(suites);
        Assert.Equal(new[] { LongContextQuestion.SingleNeedle, LongContextQuestion.VariableTracking },
            chosen[1].SampleTraining(new DeterministicRandom(3), 40).Cast<LongContextTask>().Select(t => t.Question).Distinct().Order().ToArray());
    }

    [Fact]
    public void Suite_demonstrations_override_the_per_suite_count_for_the_suites_they_name()
    {
        var options = new TrainOptions();
        var command = new Command("train");
        options.AddTo(command);
        var settings = options.Settings(command.Parse(["--demos", "600", "--suite-demos", "longcontext=1200, searchqa=400"]));
        Assert.Equal(600, settings.DemonstrationsFor("tooluse"));
        Assert.Equal(400, settings.DemonstrationsFor("searchqa"));
        Assert.Equal(1200, settings.DemonstrationsFor("LongContext"));
        Assert.Equal(800, options.Settings(command.Parse([])).DemonstrationsFor("longcontext"));
    }

    [Fact]
    public void Experiment_noise_compares_clean_and_noise_trained_policies()
    {
        var json = Path.Combine(_root, "noise.json");
        Assert.Equal(0, Run(["experiment", "noise", "--out", Path.Combine(_root, "noise"), .. s_tiny, "--noisy-demos", "0", "--json", json]));
        var figures = ReadJson(json);
        foreach (var arm in new[] { "sft", "clean_trained", "noise_trained" })
        {
            Assert.InRange(figures.GetProperty(arm).GetProperty("clean").GetDouble(), 0, 1);
            Assert.InRange(figures.GetProperty(arm).GetProperty("noisy").GetDouble(), 0, 1);
            Assert.Equal(2, figures.GetProperty(arm).GetProperty("clean_ci").GetArrayLength());
        }
    }

    [Fact]
    public void Experiment_dgg_compares_single_use_naive_reuse_and_dgg()
    {
        var json = Path.Combine(_root, "dgg.json");
        Assert.Equal(0, Run(["experiment", "dgg", "--out", Path.Combine(_root, "dgg"), .. s_tiny, "--reuse", "3", "--json", json]));
        var figures = ReadJson(json);
        var arms = figures.GetProperty("arms");
        Assert.Equal(1, arms.GetProperty("single_use").GetProperty("max_reuse").GetInt32());
        Assert.Equal(3, arms.GetProperty("naive_reuse").GetProperty("max_reuse").GetInt32());
        Assert.True(arms.GetProperty("dgg_reuse").GetProperty("dgg").GetBoolean());
        // Single use takes at most one update per rollout batch; naive reuse takes K on every batch that has signal
        // (dynamic sampling may drop a batch whose rewards are all equal).
        Assert.InRange(arms.GetProperty("single_use").GetProperty("updates").GetInt32(), 0, 2);
        int naive = arms.GetProperty("naive_reuse").GetProperty("updates").GetInt32();
        Assert.InRange(naive, 0, 6);
        Assert.Equal(0, naive % 3);
        Assert.Equal(2, arms.GetProperty("dgg_reuse").GetProperty("reward_curve").GetArrayLength());
    }

    [Fact]
    public void Experiment_self_verify_measures_generation_and_verification_accuracy()
    {
        var json = Path.Combine(_root, "self-verify.json");
        Assert.Equal(0, Run("experiment", "self-verify", "--out", Path.Combine(_root, "self-verify"), "--sft-steps", "2", "--rl-steps", "2",
            "--verify-every", "1", "--problems-per-step", "2", "--group-size", "2", "--eval-problems", "8", "--digits", "2", "--beta2", "0.999", "--json", json));
        var arms = ReadJson(json).GetProperty("arms");
        foreach (var arm in new[] { "sft", "generation_only", "generation_and_verification" })
            Assert.InRange(arms.GetProperty(arm).GetProperty("generation_accuracy").GetDouble(), 0, 1);
        Assert.Equal(0, arms.GetProperty("generation_only").GetProperty("verification_steps").GetInt32());
        Assert.Equal(2, arms.GetProperty("generation_and_verification").GetProperty("generation_steps").GetInt32());
        // Every RL update is logged with the trainer's diagnostics.
        var steps = File.ReadAllLines(Path.Combine(_root, "self-verify", "steps.log"));
        Assert.Equal(4, steps.Length);
        Assert.All(steps, line => Assert.Contains(" mismatch ", line, StringComparison.Ordinal));

        // A second run reuses the warm start instead of training one (and loads it again as the KL reference).
        Assert.Equal(0, Run("experiment", "self-verify", "--out", Path.Combine(_root, "self-verify-again"), "--from", Path.Combine(_root, "self-verify", "sft"),
            "--rl-steps", "1", "--problems-per-step", "2", "--group-size", "2", "--eval-problems", "8", "--digits", "2", "--kl", "0.1"));
        Assert.False(Directory.Exists(Path.Combine(_root, "self-verify-again", "sft")));
    }

    [Fact]
    public void A_resumed_run_logs_the_same_rl_steps_as_an_uninterrupted_one()
    {
        var straight = Path.Combine(_root, "straight");
        Assert.Equal(0, Run(["train", "--out", straight, .. Budget(4)]));

        // The same run stopped after two RL steps (its last checkpoint), then resumed to four.
        var resumed = Path.Combine(_root, "resumed");
        Assert.Equal(0, Run(["train", "--out", resumed, .. Budget(2)]));
        Assert.Equal(0, Run(["train", "--out", resumed, "--resume", .. Budget(4)]));

        double[] Rewards(string dir) => [.. File.ReadAllLines(Path.Combine(dir, "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.GetProperty("phase").GetString() == "rl")
            .Select(e => e.GetProperty("reward_mean").GetDouble())];
        Assert.Equal(4, Rewards(straight).Length);
        Assert.Equal(Rewards(straight), Rewards(resumed));
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "checkpoint", "model.safetensors")), File.ReadAllBytes(Path.Combine(resumed, "checkpoint", "model.safetensors")));
    }

    [Fact]
    public void Train_async_runs_workers_beside_the_trainer_and_resumes_its_in_flight_requests()
    {
        var output = Path.Combine(_root, "async");
        Assert.Equal(0, Run(["train", "--out", output, "--async", "--workers", "2", "--checkpoint-every", "1", .. Budget(2)]));
        var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "checkpoint", "run_state.json"))).RootElement;
        Assert.Equal(2, state.GetProperty("Run").GetProperty("Step").GetInt32());
        Assert.Equal(2, state.GetProperty("InFlight").GetArrayLength());
        Assert.InRange(state.GetProperty("PolicyVersion").GetInt32(), 0, 2);

        Assert.Equal(0, Run(["train", "--out", output, "--async", "--resume", .. Budget(3)]));
        var lines = File.ReadAllLines(Path.Combine(output, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("phase").GetString() == "rl").ToArray();
        Assert.Equal([1, 2, 3], lines.Select(e => e.GetProperty("step").GetInt32()));
        Assert.All(lines, e => Assert.InRange(e.GetProperty("extra").GetProperty("mean_staleness").GetDouble(), 0, 2));
        // A synchronous resume of an asynchronous checkpoint is refused with a clear error, not misread.
        Assert.NotEqual(0, Run(["train", "--out", output, "--resume", .. Budget(4)]));
    }

    [Fact]
    public void Bench_async_reports_throughput_and_idle_fractions_of_both_arms()
    {
        var json = Path.Combine(_root, "bench-async.json");
        Assert.Equal(0, Run("bench", "async", "--out", Path.Combine(_root, "bench-async"), "--suites", "tooluse", "--demos", "8", "--sft-steps", "2",
            "--steps", "2", "--group-size", "2", "--tasks-per-step", "2", "--latency-ms", "1", "--json", json));
        var figures = ReadJson(json);
        Assert.True(figures.GetProperty("async_vs_sync_throughput_ratio").GetDouble() > 0);
        Assert.InRange(figures.GetProperty("trainer_idle_fraction_sync").GetDouble(), 0, 1);
        Assert.InRange(figures.GetProperty("trainer_idle_fraction_async").GetDouble(), 0, 1);
        Assert.Equal(8, figures.GetProperty("trajectories").GetInt32());
    }

    private static string[] Budget(int rlSteps) => [.. s_tiny.Select((a, i) => i > 0 && s_tiny[i - 1] == "--rl-steps" ? rlSteps.ToString() : a)];
}
