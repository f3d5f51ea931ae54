using System.CommandLine;
using Agentic.Cli.Jobs;
using Spectre.Console;

namespace Agentic.Cli.Commands;

/// <summary><c>agentic experiment noise</c> and <c>agentic experiment dgg</c>: the RL claims, measured.</summary>
internal static class ExperimentRlCommands
{
    public static Command Noise()
    {
        var options = new TrainOptions();
        var seeds = new Option<string>("--seeds") { Description = "Comma-separated RL seeds (each arm trains once per seed)", DefaultValueFactory = _ => "1" };
        var command = new Command("noise", "NoisyAgent: the same GRPO budget with and without the noise curriculum, evaluated clean and noisy");
        options.AddTo(command);
        command.Options.Add(seeds);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = options.Settings(parse, defaultOutput: "runs/experiment-noise");
            var seedList = parse.GetValue(seeds)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ulong.Parse).ToArray();
            using var cancellation = new GracefulCancellation(cancellationToken);
            var (sft, arms, used) = await RlExperiments.NoiseAsync(settings, seedList, AnsiConsole.Console, cancellation.Token);
            var table = new Table().AddColumns("policy", "clean success (95% CI)", $"{settings.EvalNoise} noise success (95% CI)", "episodes");
            foreach (var a in new[] { sft }.Concat(arms))
            {
                table.AddRow(a.Arm, Markup.Escape($"{a.Clean:P1} [{a.CleanLow:P0}, {a.CleanHigh:P0}]"), Markup.Escape($"{a.Noisy:P1} [{a.NoisyLow:P0}, {a.NoisyHigh:P0}]"), a.Episodes.ToString());
            }
            AnsiConsole.Write(table);
            var perSuite = new Table().AddColumns("suite", "policy", "clean", "noisy");
            foreach (var a in new[] { sft }.Concat(arms))
                foreach (var (suite, r) in a.Suites) perSuite.AddRow(suite, a.Arm, $"{r.Clean.Success:P1}", $"{r.Noisy.Success:P1}");
            AnsiConsole.Write(perSuite);
            AnsiConsole.MarkupLine($"seeds {string.Join(", ", used)}; {settings.RlSteps} RL steps per arm and seed; suites {string.Join(", ", settings.Suites)} ({settings.Scale})");
            if (parse.GetValue(options.Json) is { } path)
            {
                object Arm(ArmSuccess a) => new Dictionary<string, object>
                {
                    ["clean"] = a.Clean, ["noisy"] = a.Noisy, ["clean_ci"] = new[] { a.CleanLow, a.CleanHigh }, ["noisy_ci"] = new[] { a.NoisyLow, a.NoisyHigh },
                    ["episodes"] = a.Episodes,
                    ["suites"] = a.Suites.ToDictionary(x => x.Key, x => new Dictionary<string, double> { ["clean"] = x.Value.Clean.Success, ["noisy"] = x.Value.Noisy.Success }),
                };
                JsonOutput.Write(path, new Dictionary<string, object?>
                {
                    ["command"] = settings.Command, ["seeds"] = used, ["rl_steps"] = settings.RlSteps, ["eval_noise"] = settings.EvalNoise.ToString().ToLowerInvariant(),
                    ["sft"] = Arm(sft), ["clean_trained"] = Arm(arms[0]), ["noise_trained"] = Arm(arms[1]),
                });
            }
            return 0;
        });
        return command;
    }

    public static Command Dgg()
    {
        var options = new TrainOptions();
        var target = new Option<double?>("--target") { Description = "Target reward (smoothed over 5 steps); default 90% of the best the single-use arm reaches" };
        var command = new Command("dgg", "Rollout reuse: single-use vs naive K-reuse vs DGG K-reuse, samples and wall-clock to a target reward");
        options.AddTo(command);
        command.Options.Add(target);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = options.Settings(parse, defaultOutput: "runs/experiment-dgg");
            if (TrainOptions.Unset(parse, options.Reuse)) settings = settings with { MaxReuse = 4 };
            // The arms compare reuse of the policy's own rollouts: the expert's off-policy episodes stay out unless asked for.
            if (TrainOptions.Unset(parse, options.ExpertGuidance)) settings = settings with { ExpertGuidance = false };
            using var cancellation = new GracefulCancellation(cancellationToken);
            var (arms, goal) = await RlExperiments.DggAsync(settings, parse.GetValue(target), AnsiConsole.Console, cancellation.Token);
            var table = new Table().AddColumns("arm", "K", "updates", "gate firings", "samples to target", "seconds to target", "initial reward", "peak", "final", "collapsed");
            foreach (var a in arms)
            {
                table.AddRow(a.Arm, a.MaxReuse.ToString(), a.Updates.ToString(), a.GateFirings.ToString(), a.SamplesToTarget?.ToString() ?? "not reached",
                    a.SecondsToTarget is { } t ? t.ToString("F0") : "not reached", a.InitialReward.ToString("F3"), a.PeakReward.ToString("F3"), a.FinalReward.ToString("F3"), a.Collapsed ? "yes" : "no");
            }
            AnsiConsole.Write(table);
            var single = arms[0];
            double? Ratio(double? baseline, double? other) => baseline is { } b && other is { } o && o > 0 ? b / o : null;
            var figures = new Dictionary<string, object?>
            {
                ["command"] = settings.Command, ["target_reward"] = goal, ["rl_steps"] = settings.RlSteps, ["max_reuse"] = settings.MaxReuse,
                ["dgg_vs_single_sample_efficiency"] = Ratio(single.SamplesToTarget, arms[2].SamplesToTarget),
                ["dgg_vs_single_wallclock"] = Ratio(single.SecondsToTarget, arms[2].SecondsToTarget),
                ["naive_vs_single_sample_efficiency"] = Ratio(single.SamplesToTarget, arms[1].SamplesToTarget),
                ["naive_reuse_collapsed"] = arms[1].Collapsed,
                ["arms"] = arms.ToDictionary(a => a.Arm, a => (object)new Dictionary<string, object?>
                {
                    ["max_reuse"] = a.MaxReuse, ["dgg"] = a.Dgg, ["samples"] = a.Samples, ["updates"] = a.Updates, ["gate_firings"] = a.GateFirings,
                    ["seconds"] = a.Seconds, ["samples_to_target"] = a.SamplesToTarget, ["seconds_to_target"] = a.SecondsToTarget,
                    ["initial_reward"] = a.InitialReward, ["peak_reward"] = a.PeakReward, ["final_reward"] = a.FinalReward, ["collapsed"] = a.Collapsed, ["error"] = a.Error,
                    ["reward_curve"] = a.Steps.Select(x => x.RewardMean).ToArray(),
                }),
            };
            AnsiConsole.MarkupLine($"target reward {goal:F3}; DGG vs single-use: sample efficiency {Show(figures["dgg_vs_single_sample_efficiency"])}, wall-clock {Show(figures["dgg_vs_single_wallclock"])}; naive reuse collapsed: {(arms[1].Collapsed ? "yes" : "no")}");
            if (parse.GetValue(options.Json) is { } path) JsonOutput.Write(path, figures);
            return 0;
        });
        return command;
    }

    public static Command SelfVerify()
    {
        var d = new SelfVerifySettings();
        var output = new Option<string>("--out") { Description = "Output folder", DefaultValueFactory = _ => d.OutputDirectory };
        var sftSteps = new Option<int>("--sft-steps") { Description = "Warm-start SFT steps (addition plus verification demonstrations)", DefaultValueFactory = _ => d.SftSteps };
        var sftBatch = new Option<int>("--sft-batch") { Description = "Warm-start SFT sequences per step", DefaultValueFactory = _ => d.SftBatchSize };
        var share = new Option<double>("--verification-share") { Description = "Share of verification demonstrations in the warm start", DefaultValueFactory = _ => d.VerificationShare };
        var rlSteps = new Option<int>("--rl-steps") { Description = "Generation RL steps per arm", DefaultValueFactory = _ => d.RlSteps };
        var lr = new Option<double>("--lr") { Description = "RL learning rate", DefaultValueFactory = _ => d.LearningRate };
        var every = new Option<int>("--verify-every") { Description = "A verification step after every N generation steps", DefaultValueFactory = _ => d.VerifyEvery };
        var problems = new Option<int>("--problems-per-step") { Description = "Problems per generation step", DefaultValueFactory = _ => d.ProblemsPerStep };
        var group = new Option<int>("--group-size") { Description = "Samples per problem (and verdicts per pair)", DefaultValueFactory = _ => d.GroupSize };
        var evalProblems = new Option<int>("--eval-problems") { Description = "Held-out problems for the evaluation", DefaultValueFactory = _ => d.EvalProblems };
        var digits = new Option<int>("--digits") { Description = "Operand digits", DefaultValueFactory = _ => d.Digits };
        var seed = new Option<ulong>("--seed") { Description = "Seed", DefaultValueFactory = _ => d.Seed };
        var beta2 = new Option<double>("--beta2") { Description = "AdamW beta2 of the RL updates", DefaultValueFactory = _ => d.Beta2 };
        var kl = new Option<double>("--kl") { Description = "Weight of the k3 KL penalty to the frozen warm start (0 = none)", DefaultValueFactory = _ => d.KlCoefficient };
        var from = new Option<string?>("--from") { Description = "Reuse this warm-start checkpoint (an earlier run's OUT/sft) instead of training one" };
        var json = new Option<string?>("--json") { Description = "Write the figures as JSON to this file" };
        var command = new Command("self-verify", "Generation-only RL vs generation + self-verification RL: generation and verification accuracy")
        {
            output, sftSteps, sftBatch, share, rlSteps, lr, every, problems, group, evalProblems, digits, seed, beta2, kl, from, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new SelfVerifySettings
            {
                OutputDirectory = parse.GetValue(output)!, SftSteps = parse.GetValue(sftSteps), SftBatchSize = parse.GetValue(sftBatch),
                VerificationShare = parse.GetValue(share), LearningRate = parse.GetValue(lr), RlSteps = parse.GetValue(rlSteps), VerifyEvery = parse.GetValue(every),
                ProblemsPerStep = parse.GetValue(problems), GroupSize = parse.GetValue(group), EvalProblems = parse.GetValue(evalProblems),
                Digits = parse.GetValue(digits), Seed = parse.GetValue(seed), Beta2 = parse.GetValue(beta2), KlCoefficient = parse.GetValue(kl), StartFrom = parse.GetValue(from),
            };
            using var cancellation = new GracefulCancellation(cancellationToken);
            var (sft, arms, pairs) = await SelfVerifyExperiment.RunAsync(settings, AnsiConsole.Console, cancellation.Token);
            var table = new Table().AddColumns("policy", "generation accuracy", "verification accuracy", "generation steps", "verification steps");
            foreach (var a in new[] { sft }.Concat(arms))
                table.AddRow(a.Arm, SelfVerifyExperiment.Percent(a.GenerationAccuracy), SelfVerifyExperiment.Percent(a.VerificationAccuracy), a.GenerationSteps.ToString(), a.VerificationSteps.ToString());
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"{settings.EvalProblems} held-out problems; verification judged on {pairs} balanced pairs of the warm start's own sampled answers");
            if (parse.GetValue(json) is { } path)
            {
                JsonOutput.Write(path, new Dictionary<string, object?>
                {
                    ["command"] = "agentic " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
                    ["eval_problems"] = settings.EvalProblems, ["verification_pairs"] = pairs,
                    ["arms"] = new[] { sft }.Concat(arms).ToDictionary(a => a.Arm, a => (object)new Dictionary<string, object?>
                    {
                        ["generation_accuracy"] = a.GenerationAccuracy, ["verification_accuracy"] = double.IsNaN(a.VerificationAccuracy) ? null : a.VerificationAccuracy,
                        ["generation_steps"] = a.GenerationSteps, ["verification_steps"] = a.VerificationSteps, ["seconds"] = a.Seconds,
                    }),
                });
            }
            return 0;
        });
        return command;
    }

    private static string Show(object? ratio) => ratio is double r ? $"{r:F2}x" : "n/a (a run did not reach the target)";
}
