using System.Text.Json;
using Agentic.Core.Agents;
using Agentic.Core.Chat;
using Agentic.Core.Tokenization;
using Agentic.Rl.Checkpoints;
using Agentic.Rl.Gating;
using Agentic.Rl.Modeling;
using Agentic.Rl.Rewards;
using Agentic.Rl.Rollouts;
using Agentic.Rl.Tests.Modeling;
using Agentic.Rl.Training;
using Agentic.Training.Noise;
using Microsoft.Extensions.AI;

#pragma warning disable AGENTIC030

namespace Agentic.Rl.Tests.Rollouts;

public sealed class AgentRlTrainerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "agentic-rl-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private sealed class Run : IDisposable
    {
        public Run(MoeCausalLM model, ByteLevelTokenizer tokenizer, RolloutDecoder decoder = RolloutDecoder.TorchSharp)
        {
            Model = model;
            Tokenizer = tokenizer;
            Template = new ChatTemplate(tokenizer);
            Policy = new PolicyGradientTrainer(model, tokenizer.EndOfTextId, new PolicyGradientOptions { LearningRate = 3e-3, MaxReuse = 2 }, new DynamicGradientGate(new DynamicGradientGateOptions { WindowSize = 2 }));
            ITaskSuite[] suites = [new EchoSuite("echo1"), new EchoSuite("echo2")];
            var reward = new CompositeReward((new OutcomeReward(), 1.0));
            Trainer = new AgentRlTrainer(model, tokenizer, Template, suites, t => reward.Compute(t), Policy,
                new AgentRlOptions { GroupSize = 4, TasksPerStep = 3, MaxTurns = 1, MaxNewTokensPerTurn = 3, MaxTokens = 120, Seed = 11, DynamicSampling = false, Decoder = decoder },
                curriculum: new NoiseCurriculum(new NoiseCurriculumOptions { NoisyFraction = 0.5, Window = 4, MinCleanSuccess = 0, Seed = 3 }),
                scheduler: new SuiteScheduler(["echo1", "echo2"]));
        }

        public MoeCausalLM Model { get; }
        public ByteLevelTokenizer Tokenizer { get; }
        public ChatTemplate Template { get; }
        public PolicyGradientTrainer Policy { get; }
        public AgentRlTrainer Trainer { get; }

        public void Dispose()
        {
            Policy.Dispose();
            Model.Dispose();
        }
    }

    /// <summary>A trainer over one suite with a scripted expert, half of each group noisy.</summary>
    private sealed class ExpertRun : IDisposable
    {
        public ExpertRun(ITaskSuite suite, AgentRlOptions options)
        {
            Tokenizer = ByteLevelTokenizer.CreateDefault();
            Model = NewModel();
            Template = new ChatTemplate(Tokenizer);
            _policy = new PolicyGradientTrainer(Model, Tokenizer.EndOfTextId, new PolicyGradientOptions { LearningRate = 1e-3 }, new OpenGradientGate());
            var reward = new CompositeReward((new OutcomeReward(), 1.0));
            Trainer = new AgentRlTrainer(Model, Tokenizer, Template, [suite], t => reward.Compute(t), _policy, options,
                curriculum: new NoiseCurriculum(new NoiseCurriculumOptions { NoisyFraction = 0.5, Window = 4, MinCleanSuccess = 0, Seed = 3 }));
        }

        private readonly PolicyGradientTrainer _policy;

        public MoeCausalLM Model { get; }
        public ByteLevelTokenizer Tokenizer { get; }
        public ChatTemplate Template { get; }
        public AgentRlTrainer Trainer { get; }

        public void Dispose()
        {
            _policy.Dispose();
            Model.Dispose();
        }
    }

    private static AgentRlOptions ExpertOptions(int maxTurns, Action<AgentRlOptions> expert)
    {
        var options = new AgentRlOptions { GroupSize = 4, TasksPerStep = 3, MaxTurns = maxTurns, MaxNewTokensPerTurn = 3, MaxTokens = 120, Seed = 5 };
        expert(options);
        return options;
    }

    private static MoeCausalLM NewModel() => new(TinyModels.Config(vocab: 288) with { MaxPositionEmbeddings = 128 }, seed: 4);

    private static float[] Weights(MoeCausalLM model) => [.. model.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray())];

    [Fact]
    public async Task A_step_rolls_out_groups_with_noisy_subsets_and_trains_only_on_policy_tokens()
    {
        using var run = new Run(NewModel(), ByteLevelTokenizer.CreateDefault());
        var step = await run.Trainer.StepAsync();
        Assert.Equal(3, step.Groups.Count);
        Assert.All(step.Groups, g => Assert.Equal(4, g.Rollouts.Count));
        Assert.All(step.Groups, g => Assert.Equal(2, g.Rollouts.Count(r => r.Noisy)));
        foreach (var r in step.Rollouts)
        {
            var t = r.Trajectory;
            Assert.Equal(t.TokenIds.Length, t.LossMask.Length);
            Assert.DoesNotContain(true, t.LossMask.Take(t.PromptLength));
            Assert.InRange(t.LossMask.Count(m => m), 1, 3);
            Assert.True(t.LogProbs.Where((_, i) => t.LossMask[i]).All(lp => lp <= 0));
        }
        // Advantages are computed per group and per subgroup (clean / noisy): each subgroup sums to zero.
        foreach (var g in step.Groups)
            foreach (var sub in g.Rollouts.GroupBy(r => r.Noisy))
                Assert.Equal(0, sub.Sum(r => r.Advantage), 9);
        Assert.Equal(1, run.Trainer.StepCount);
    }

    [Fact]
    public async Task Rollouts_decoded_by_onnx_runtime_sample_the_tokens_torchsharp_samples_and_train_the_same()
    {
        var tokenizer = ByteLevelTokenizer.CreateDefault();
        using var torch = new Run(NewModel(), tokenizer);
        using var onnx = new Run(NewModel(), tokenizer, RolloutDecoder.OnnxRuntime);
        for (int i = 0; i < 2; i++)
        {
            // The second step decodes an export of the weights the first update changed.
            var a = await torch.Trainer.StepAsync();
            var b = await onnx.Trainer.StepAsync();
            var ra = a.Rollouts.Select(r => r.Trajectory).ToArray();
            var rb = b.Rollouts.Select(r => r.Trajectory).ToArray();
            Assert.Equal(ra.Length, rb.Length);
            for (int j = 0; j < ra.Length; j++)
            {
                Assert.Equal(ra[j].TokenIds, rb[j].TokenIds);
                Assert.Equal(ra[j].LossMask, rb[j].LossMask);
                for (int t = 0; t < ra[j].LogProbs.Length; t++) Assert.Equal(ra[j].LogProbs[t], rb[j].LogProbs[t], 1e-4);
            }
            Assert.True(b.Update.MaxLogProbMismatch < 1e-3, $"log-prob mismatch {b.Update.MaxLogProbMismatch}");
        }
        Assert.Equal(Weights(torch.Model), Weights(onnx.Model), (x, y) => Math.Abs(x - y) < 1e-4);
    }

    [Fact]
    public async Task A_resumed_run_continues_exactly_like_an_uninterrupted_one()
    {
        var tokenizer = ByteLevelTokenizer.CreateDefault();
        using var straight = new Run(NewModel(), tokenizer);
        var straightRewards = new List<double>();
        for (int i = 0; i < 4; i++) straightRewards.Add((await straight.Trainer.StepAsync()).RewardMean);

        var checkpoint = Path.Combine(_root, "ckpt");
        var resumedRewards = new List<double>();
        using (var first = new Run(NewModel(), tokenizer))
        {
            for (int i = 0; i < 2; i++) resumedRewards.Add((await first.Trainer.StepAsync()).RewardMean);
            PolicyCheckpoint.Save(checkpoint, first.Model, tokenizer, first.Policy, runState: JsonSerializer.Serialize(first.Trainer.GetState()));
        }

        var loaded = PolicyCheckpoint.Load(checkpoint);
        using var second = new Run(loaded.Model, loaded.Tokenizer);
        PolicyCheckpoint.RestoreTrainer(checkpoint, second.Policy);
        second.Trainer.SetState(JsonSerializer.Deserialize<AgentRlState>(PolicyCheckpoint.ReadRunState(checkpoint)!)!);
        Assert.Equal(2, second.Trainer.StepCount);
        for (int i = 0; i < 2; i++) resumedRewards.Add((await second.Trainer.StepAsync()).RewardMean);

        Assert.Equal(straightRewards, resumedRewards);
        Assert.Equal(straight.Policy.StepCount, second.Policy.StepCount);
        Assert.Equal(Weights(straight.Model), Weights(second.Model));
        Assert.Equal(straight.Trainer.GetState().Random, second.Trainer.GetState().Random);
        Assert.Equal(straight.Trainer.Curriculum!.ToJson(), second.Trainer.Curriculum!.ToJson());
    }

    [Fact]
    public async Task Expert_guidance_adds_a_successful_expert_rollout_to_each_subgroup_scored_with_the_group()
    {
        using var run = new ExpertRun(new EchoSuite("echo1", withExpert: true), ExpertOptions(maxTurns: 1, o => o.ExpertGuidance = true));
        var (model, tokenizer, template, trainer) = (run.Model, run.Tokenizer, run.Template, run.Trainer);

        var groups = await trainer.RolloutAsync();

        foreach (var g in groups)
        {
            Assert.Equal(4, g.Rollouts.Count);
            Assert.Equal([false, true], g.Guidance.Select(r => r.Noisy).Order());
            foreach (var expert in g.Guidance)
            {
                var t = expert.Trajectory;
                Assert.True(t.Success);
                // Encoded with the policy's template; loss on the expert's turn only.
                Assert.Equal(template.Encode(t.Messages).Ids, t.TokenIds);
                Assert.Equal(template.Encode(t.Messages).LossMask, t.LossMask);
                // The behaviour log-probabilities are the current policy's (the trainer's recomputation matches them).
                var recomputed = PolicyGradientTrainer.ComputeLogProbs(model, [new PolicySample(t.TokenIds, t.LossMask, t.LogProbs, 0)], 8, tokenizer.EndOfTextId)[0];
                for (int i = 0; i < t.TokenIds.Length; i++)
                    Assert.Equal(t.LossMask[i] ? recomputed[i] : 0, t.LogProbs[i], 4);
                // An untrained policy fails where the expert succeeds: the expert's rollout carries the subgroup's positive advantage.
                var subgroup = g.Rollouts.Where(r => r.Noisy == expert.Noisy).Append(expert).ToArray();
                if (!g.Rollouts.Any(r => r.Noisy == expert.Noisy && r.Trajectory.Success)) Assert.True(expert.Advantage > 0);
                Assert.Equal(0, subgroup.Sum(r => r.Advantage), 9);
            }
            Assert.False(g.Dropped);
        }
        // Policy rollouts and expert rollouts are trained on together.
        Assert.Equal(groups.Sum(g => g.Rollouts.Count + g.Guidance.Count), AgentRlTrainer.Samples(groups).Length);
    }

    [Fact]
    public async Task Expert_recovery_takes_over_a_failed_rollout_from_its_second_turn_with_loss_on_the_experts_turns_only()
    {
        using var run = new ExpertRun(new SecondTurnEchoSuite("twice"), ExpertOptions(maxTurns: 2, o => o.ExpertRecovery = true));
        var (model, tokenizer, template, trainer) = (run.Model, run.Tokenizer, run.Template, run.Trainer);

        var groups = await trainer.RolloutAsync();

        var recoveries = groups.SelectMany(g => g.Guidance).ToArray();
        Assert.NotEmpty(recoveries);
        foreach (var g in groups)
        {
            Assert.Equal(4, g.Rollouts.Count);
            Assert.True(g.Guidance.Count <= 2);
            foreach (var recovery in g.Guidance)
            {
                var t = recovery.Trajectory;
                Assert.True(recovery.IsRecovery);
                Assert.True(t.Success);
                // The policy's first turn is replayed word for word: it is a failed policy rollout's of that subgroup.
                Assert.Contains(t.Messages.First(m => m.Role == ChatRole.Assistant).Text,
                    g.Rollouts.Where(r => r.Noisy == recovery.Noisy && !r.Trajectory.Success).Select(r => r.Trajectory.Messages.First(m => m.Role == ChatRole.Assistant).Text));
                // Loss only on the expert's turn: nothing before the second assistant message, something after it.
                int second = t.Messages.Select((m, i) => (m, i)).Where(x => x.m.Role == ChatRole.Assistant).ElementAt(1).i;
                int context = template.Encode(t.Messages.Take(second)).Count;
                Assert.Equal(template.Encode(t.Messages).Ids, t.TokenIds);
                Assert.All(t.LossMask.Take(context), m => Assert.False(m));
                Assert.Equal(template.Encode(t.Messages).LossMask.Skip(context), t.LossMask.Skip(context));
                Assert.Contains(true, t.LossMask);
                var recomputed = PolicyGradientTrainer.ComputeLogProbs(model, [new PolicySample(t.TokenIds, t.LossMask, t.LogProbs, 0)], 8, tokenizer.EndOfTextId)[0];
                for (int i = 0; i < t.TokenIds.Length; i++)
                    Assert.Equal(t.LossMask[i] ? recomputed[i] : 0, t.LogProbs[i], 4);
                var subgroup = g.Rollouts.Where(r => r.Noisy == recovery.Noisy).Append(recovery).ToArray();
                Assert.Equal(0, subgroup.Sum(r => r.Advantage), 9);
                if (!g.Rollouts.Any(r => r.Noisy == recovery.Noisy && r.Trajectory.Success)) Assert.True(recovery.Advantage > 0);
            }
        }
        Assert.Equal(groups.Sum(g => g.Rollouts.Count + g.Guidance.Count), AgentRlTrainer.Samples(groups).Length);
    }

    [Fact]
    public void Expert_guidance_over_a_suite_without_an_expert_is_refused_up_front()
    {
        var tokenizer = ByteLevelTokenizer.CreateDefault();
        using var model = NewModel();
        using var policy = new PolicyGradientTrainer(model, tokenizer.EndOfTextId, new PolicyGradientOptions(), new OpenGradientGate());
        var reward = new CompositeReward((new OutcomeReward(), 1.0));
        var error = Assert.Throws<ArgumentException>(() => new AgentRlTrainer(model, tokenizer, new ChatTemplate(tokenizer),
            [new EchoSuite("echo1", withExpert: true), new EchoSuite("echo2")], t => reward.Compute(t), policy,
            new AgentRlOptions { GroupSize = 2, MaxTokens = 120, ExpertGuidance = true }));
        Assert.Contains("echo2", error.Message);
    }

    [Theory]
    [InlineData(1e-5, true)]
    [InlineData(1.0, false)]
    public async Task Top_p_truncates_the_rollout_sampler_but_log_probabilities_stay_those_of_the_full_distribution(double topP, bool identical)
    {
        var tokenizer = ByteLevelTokenizer.CreateDefault();
        using var model = NewModel();
        using var policy = new PolicyGradientTrainer(model, tokenizer.EndOfTextId, new PolicyGradientOptions { LearningRate = 1e-3 }, new OpenGradientGate());
        var reward = new CompositeReward((new OutcomeReward(), 1.0));
        var trainer = new AgentRlTrainer(model, tokenizer, new ChatTemplate(tokenizer), [new EchoSuite("echo1")], t => reward.Compute(t), policy,
            new AgentRlOptions { GroupSize = 6, TasksPerStep = 2, MaxTurns = 1, MaxNewTokensPerTurn = 4, MaxTokens = 120, Seed = 5, DynamicSampling = false, TopP = topP });

        var groups = await trainer.RolloutAsync();

        foreach (var g in groups)
        {
            // Policy tokens only: the prompt is the same task for every rollout of a group.
            var written = g.Rollouts.Select(r => string.Join(',', r.Trajectory.TokenIds.Where((_, i) => r.Trajectory.LossMask[i]))).Distinct().Count();
            // A nucleus of one token is greedy decoding: every episode seed writes the same tokens. At top-p 1 an
            // untrained policy over 288 tokens writes different ones.
            if (identical) Assert.Equal(1, written);
            else Assert.True(written > 1, "untruncated rollouts of a random policy should differ");
            // Recorded log-probabilities are over the full vocabulary, not renormalised over the nucleus (that would be 0).
            Assert.All(g.Rollouts, r => Assert.All(r.Trajectory.LogProbs.Where((_, i) => r.Trajectory.LossMask[i]), lp => Assert.True(lp < -0.5, $"log-prob {lp}")));
        }
    }

    [Fact]
    public async Task Prefix_tree_credit_gives_each_rollout_token_advantages_that_add_up_to_its_episode_advantage()
    {
        var tokenizer = ByteLevelTokenizer.CreateDefault();
        using var model = NewModel();
        using var policy = new PolicyGradientTrainer(model, tokenizer.EndOfTextId, new PolicyGradientOptions { LearningRate = 1e-3 }, new OpenGradientGate());
        // A reward that differs between the random policy's rollouts: the last byte it wrote, odd or even.
        RewardBreakdown Parity(Trajectory t)
        {
            int last = t.TokenIds.Where((_, i) => t.LossMask[i]).DefaultIfEmpty(0).Last();
            return new RewardBreakdown(last % 2, new Dictionary<string, double>());
        }
        var trainer = new AgentRlTrainer(model, tokenizer, new ChatTemplate(tokenizer), [new EchoSuite("echo1")], Parity, policy,
            new AgentRlOptions { GroupSize = 6, TasksPerStep = 3, MaxTurns = 1, MaxNewTokensPerTurn = 4, MaxTokens = 120, Seed = 5, Credit = CreditAssignment.PrefixTree });

        var groups = await trainer.RolloutAsync();

        Assert.Contains(groups, g => !g.Dropped);
        foreach (var r in groups.Where(g => !g.Dropped).SelectMany(g => g.Rollouts))
        {
            var tokens = Assert.IsType<float[]>(r.TokenAdvantages);
            Assert.Equal(r.Trajectory.TokenIds.Length, tokens.Length);
            Assert.Equal(r.Advantage, tokens.Sum(a => (double)a), 4);
            // The prompt is the task's, the same for the whole group: no credit there.
            Assert.All(tokens.Take(r.Trajectory.PromptLength), a => Assert.Equal(0f, a));
        }
        Assert.All(groups.Where(g => g.Dropped).SelectMany(g => g.Rollouts), r => Assert.Null(r.TokenAdvantages));
        var samples = AgentRlTrainer.Samples(groups);
        Assert.All(samples, s => Assert.NotNull(s.TokenAdvantages));
        Assert.NotEmpty(trainer.PolicyTrainer.Train(samples).Updates);
    }

    /// <summary>
    /// A trainer whose reward is scripted by call order: rollouts of the first <paramref name="flatGroups"/> groups score 0
    /// (dynamic sampling drops them), later groups alternate 0 and 1 (kept).
    /// </summary>
    private static AgentRlTrainer RefillTrainer(Run run, int maxBatches, int flatGroups, bool dynamicSampling = true)
    {
        int calls = 0;
        RewardBreakdown Scripted(Trajectory t)
        {
            int call = calls++;
            double total = call / 4 < flatGroups ? 0 : call % 2;
            return new RewardBreakdown(total, new Dictionary<string, double> { ["outcome"] = total });
        }
        return new AgentRlTrainer(run.Model, run.Tokenizer, run.Template, [new EchoSuite("echo1"), new EchoSuite("echo2")], Scripted, run.Policy,
            new AgentRlOptions { GroupSize = 4, TasksPerStep = 3, MaxTurns = 1, MaxNewTokensPerTurn = 3, MaxTokens = 120, Seed = 11, DynamicSampling = dynamicSampling, MaxRolloutBatches = maxBatches });
    }

    [Theory]
    [InlineData(1, 4, 3, 0)] // no refill: one batch, every group flat and dropped
    [InlineData(5, 4, 9, 5)] // batch 1: 0 kept; batch 2: groups 5 and 6 kept; batch 3: 3 more, 5 >= 3, stop
    [InlineData(2, 4, 6, 2)] // the batch limit ends the step with fewer groups kept than TasksPerStep
    [InlineData(5, 0, 3, 3)] // every group of the first batch kept: no refill
    [InlineData(5, 100, 15, 0)] // nothing ever kept: exactly MaxRolloutBatches batches
    public async Task Refill_rolls_out_batches_until_enough_groups_are_kept_or_the_batch_limit(int maxBatches, int flatGroups, int groups, int kept)
    {
        using var run = new Run(NewModel(), ByteLevelTokenizer.CreateDefault());
        var trainer = RefillTrainer(run, maxBatches, flatGroups);
        var step = await trainer.StepAsync();
        Assert.Equal(groups, step.Groups.Count);
        Assert.Equal(kept, step.Groups.Count(g => !g.Dropped));
        // Every kept group is trained on; nothing of a dropped one.
        Assert.Equal(kept * 4, step.Update.Samples);
        Assert.Equal(step.Groups.Select(g => g.RequestId), Enumerable.Range(0, groups).Select(i => (long)i));
    }

    [Fact]
    public async Task Refill_only_adds_batches_the_first_batch_is_the_one_a_run_without_refill_rolls_out()
    {
        var tokenizer = ByteLevelTokenizer.CreateDefault();
        using var plain = new Run(NewModel(), tokenizer);
        using var refill = new Run(NewModel(), tokenizer);
        var a = await RefillTrainer(plain, 1, flatGroups: 4).RolloutAsync();
        var b = await RefillTrainer(refill, 2, flatGroups: 4).RolloutAsync();
        Assert.Equal(3, a.Count);
        Assert.Equal(6, b.Count);
        for (int i = 0; i < a.Count; i++)
            Assert.Equal(a[i].Rollouts.Select(r => r.Trajectory.TokenIds), b[i].Rollouts.Select(r => r.Trajectory.TokenIds));
    }

    [Fact]
    public async Task Without_dynamic_sampling_nothing_is_dropped_so_nothing_is_refilled()
    {
        using var run = new Run(NewModel(), ByteLevelTokenizer.CreateDefault());
        var step = await RefillTrainer(run, 5, flatGroups: 100, dynamicSampling: false).StepAsync();
        Assert.Equal(3, step.Groups.Count);
        Assert.DoesNotContain(step.Groups, g => g.Dropped);
    }

    [Fact]
    public void A_rollout_batch_limit_outside_one_to_64_is_rejected()
    {
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new AgentRlOptions { MaxRolloutBatches = 0 }.Validate());
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new AgentRlOptions { MaxRolloutBatches = 65 }.Validate());
    }

    [Fact]
    public void A_top_p_outside_zero_to_one_is_rejected()
    {
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new AgentRlOptions { TopP = 0 }.Validate());
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new AgentRlOptions { TopP = 1.5 }.Validate());
    }
}
