using Agentic.Core.Sampling;
using Agentic.Rl.Advantages;
using Agentic.Rl.Gating;
using Agentic.Rl.Generation;
using Agentic.Rl.Modeling;
using Agentic.Rl.Tests.Modeling;
using Agentic.Rl.Training;
using static TorchSharp.torch;

namespace Agentic.Rl.Tests.Training;

public class PolicyGradientTrainerTests
{
    private sealed class FireOnReuseGate : GradientGate
    {
        protected override GateDecision DecideCore(double lmHeadGradNorm, int reuseIndex) =>
            new(reuseIndex > 1, reuseIndex, lmHeadGradNorm, null, null, null);
        public override double[] GetState() => [];
        public override void SetState(double[] state) { }
    }

    /// <summary>A two-turn episode: prompt, sampled reply, an observation the policy did not write, a second sampled reply.</summary>
    private static PolicySample MultiTurnSample(PolicyGenerator generator, int[] prompt, int[] observation, ulong seed, double advantage, float temperature = 1)
    {
        var options = new SamplingOptions { Temperature = temperature, MaxNewTokens = 5, Seed = seed };
        var first = generator.Generate([prompt], options)[0];
        int[] context = [.. prompt, .. first.TokenIds, .. observation];
        var second = generator.Generate([context], new SamplingOptions { Temperature = temperature, MaxNewTokens = 5, Seed = seed + 1 })[0];
        int[] ids = [.. context, .. second.TokenIds];
        bool[] mask = [.. prompt.Select(_ => false), .. first.TokenIds.Select(_ => true), .. observation.Select(_ => false), .. second.TokenIds.Select(_ => true)];
        float[] logProbs = [.. prompt.Select(_ => 0f), .. first.LogProbs, .. observation.Select(_ => 0f), .. second.LogProbs];
        return new PolicySample(ids, mask, logProbs, advantage);
    }

    private static float[] Weights(MoeCausalLM model) =>
        [.. model.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray())];

    [Fact]
    public void Recomputed_old_log_probs_match_the_sampled_ones_on_policy_tokens()
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 5);
        var generator = new PolicyGenerator(model, padTokenId: 0);
        var samples = Enumerable.Range(0, 6).Select(i => MultiTurnSample(generator, [1, 2 + i, 3, 4 + i], [7, 8, 9], (ulong)(10 * i + 1), 1)).ToArray();

        var recomputed = PolicyGradientTrainer.ComputeLogProbs(model, samples, microBatchSize: 4, padTokenId: 0);
        for (int i = 0; i < samples.Length; i++)
        {
            for (int t = 0; t < samples[i].TokenIds.Length; t++)
            {
                if (samples[i].LossMask[t]) Assert.Equal(samples[i].LogProbs[t], recomputed[i][t], 1e-4);
            }
        }

        using var trainer = new PolicyGradientTrainer(model, 0, new PolicyGradientOptions { MicroBatchSize = 4 });
        var result = trainer.Train(samples);
        Assert.True(result.MaxLogProbMismatch < 1e-4, $"mismatch {result.MaxLogProbMismatch}");
        Assert.Equal(1, result.MeanImportanceWeight, 3);
        Assert.Equal(samples.Sum(s => s.LossTokens), result.LossTokens);
    }

    [Fact]
    public void Log_probs_are_recomputed_at_the_sampling_temperature()
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 15);
        var generator = new PolicyGenerator(model, padTokenId: 0);
        var samples = Enumerable.Range(0, 3).Select(i => MultiTurnSample(generator, [1, 5 + i, 3], [7, 8], (ulong)(3 * i + 1), 1, temperature: 0.6f)).ToArray();
        var atSampling = PolicyGradientTrainer.ComputeLogProbs(model, samples, 4, 0, temperature: 0.6);
        var atOne = PolicyGradientTrainer.ComputeLogProbs(model, samples, 4, 0);
        double worstAtSampling = 0, worstAtOne = 0;
        for (int i = 0; i < samples.Length; i++)
            for (int t = 0; t < samples[i].TokenIds.Length; t++)
                if (samples[i].LossMask[t])
                {
                    worstAtSampling = Math.Max(worstAtSampling, Math.Abs(samples[i].LogProbs[t] - atSampling[i][t]));
                    worstAtOne = Math.Max(worstAtOne, Math.Abs(samples[i].LogProbs[t] - atOne[i][t]));
                }
        Assert.True(worstAtSampling < 1e-4, $"{worstAtSampling}");
        Assert.True(worstAtOne > 1e-3, $"{worstAtOne}");
    }

    [Fact]
    public void The_learning_rate_warms_up_linearly_over_the_first_updates()
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 8);
        var generator = new PolicyGenerator(model, padTokenId: 0);
        using var trainer = new PolicyGradientTrainer(model, 0, new PolicyGradientOptions { LearningRate = 1e-3, WarmupUpdates = 4, MicroBatchSize = 4 });
        var rates = new List<double>();
        for (int step = 0; step < 6; step++)
        {
            rates.Add(trainer.CurrentLearningRate);
            trainer.Train([MultiTurnSample(generator, [1, 2, 3], [7, 8], (ulong)step + 1, 1), MultiTurnSample(generator, [1, 2, 3], [7, 8], (ulong)step + 50, -1)]);
        }
        Assert.Equal(new[] { 2.5e-4, 5e-4, 7.5e-4, 1e-3, 1e-3, 1e-3 }, rates.Select(r => Math.Round(r, 10)));
        Assert.Equal(6, trainer.StepCount);
        using var flat = new PolicyGradientTrainer(model, 0, new PolicyGradientOptions { LearningRate = 1e-3, WarmupUpdates = 0 });
        Assert.Equal(1e-3, flat.CurrentLearningRate);
    }

    [Fact]
    public void A_fresh_optimizer_moves_the_weights_less_in_its_first_warmed_up_update()
    {
        // AdamW's first update moves every parameter by the full learning rate; the warmup scales that step down.
        float[] Step(int warmup)
        {
            using var model = new MoeCausalLM(TinyModels.Config(), seed: 9);
            var generator = new PolicyGenerator(model, padTokenId: 0);
            var before = Weights(model);
            using var trainer = new PolicyGradientTrainer(model, 0, new PolicyGradientOptions { LearningRate = 1e-3, WarmupUpdates = warmup, MicroBatchSize = 4 });
            trainer.Train([MultiTurnSample(generator, [1, 2, 3], [7, 8], 1, 1), MultiTurnSample(generator, [1, 2, 3], [7, 8], 2, -1)]);
            return [.. Weights(model).Zip(before, (a, b) => Math.Abs(a - b))];
        }
        Assert.Equal(Step(0).Max() / 10, Step(10).Max(), 1e-5);
    }

    [Fact]
    public void Grpo_on_a_bandit_raises_the_probability_of_rewarded_tokens()
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 6);
        var generator = new PolicyGenerator(model, padTokenId: 0);
        using var trainer = new PolicyGradientTrainer(model, 0, new PolicyGradientOptions { LearningRate = 1e-2, MicroBatchSize = 32, WarmupUpdates = 0 });
        var estimator = new GrpoAdvantageEstimator();
        int[] prompt = [1, 2, 3];
        double EvenMass()
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var probs = model.forward(new CausalLMInput(tensor(prompt.Select(i => (long)i).ToArray()).unsqueeze(0))).Logits[0, -1].softmax(-1).data<float>().ToArray();
            return probs.Where((_, i) => i % 2 == 0).Sum();
        }

        double before = EvenMass();
        for (int step = 0; step < 15; step++)
        {
            var results = generator.Generate(Enumerable.Repeat((IReadOnlyList<int>)prompt, 16).ToArray(),
                new SamplingOptions { Temperature = 1, MaxNewTokens = 1, Seed = (ulong)step + 100 });
            var rewards = results.Select(r => new GroupedReward(r.TokenIds[0] % 2 == 0 ? 1 : 0)).ToArray();
            var advantages = estimator.Estimate(rewards);
            trainer.Train([.. results.Select((r, i) => new PolicySample([.. prompt, r.TokenIds[0]], [false, false, false, true], [0, 0, 0, r.LogProbs[0]], advantages[i]))]);
        }
        double after = EvenMass();
        Assert.True(after > before + 0.2, $"P(even) {before:F3} -> {after:F3}");
    }

    [Fact]
    public void A_firing_gate_drops_the_update_before_the_optimizer_sees_it()
    {
        PolicySample[] Batch(MoeCausalLM m)
        {
            var g = new PolicyGenerator(m, 0);
            return [.. Enumerable.Range(0, 4).Select(i => MultiTurnSample(g, [1, 2, 3 + i], [9], (ulong)i + 1, i % 2 == 0 ? 1 : -1))];
        }

        using var gated = new MoeCausalLM(TinyModels.Config(), seed: 7);
        using var single = new MoeCausalLM(TinyModels.Config(), seed: 7);
        using var naive = new MoeCausalLM(TinyModels.Config(), seed: 7);
        var batch = Batch(gated);

        using var gatedTrainer = new PolicyGradientTrainer(gated, 0, new PolicyGradientOptions { MaxReuse = 4, LearningRate = 1e-2 }, new FireOnReuseGate());
        var gatedResult = gatedTrainer.Train(batch);
        Assert.Equal(2, gatedResult.Updates.Count);
        Assert.Equal(1, gatedResult.Applied);
        Assert.True(gatedResult.Gated);
        Assert.Equal(1, gatedTrainer.StepCount);

        using var singleTrainer = new PolicyGradientTrainer(single, 0, new PolicyGradientOptions { MaxReuse = 1, LearningRate = 1e-2 });
        singleTrainer.Train(batch);
        Assert.Equal(Weights(single), Weights(gated));

        using var naiveTrainer = new PolicyGradientTrainer(naive, 0, new PolicyGradientOptions { MaxReuse = 4, LearningRate = 1e-2 });
        var naiveResult = naiveTrainer.Train(batch);
        Assert.Equal(4, naiveResult.Applied);
        Assert.NotEqual(Weights(single), Weights(naive));
        // Reused updates see ratios away from 1.
        Assert.Equal(1, naiveResult.Updates[0].MeanRatio, 3);
        Assert.NotEqual(1, naiveResult.Updates[3].MeanRatio, 3);
    }

    [Fact]
    public void A_nan_loss_is_caught_with_a_clear_error_and_changes_nothing()
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 8);
        var batch = new[] { MultiTurnSample(new PolicyGenerator(model, 0), [1, 2, 3], [4], 1, 1) };
        using (no_grad()) model.LmHead.weight!.fill_(float.NaN);
        var before = Weights(model);
        using var trainer = new PolicyGradientTrainer(model, 0, new PolicyGradientOptions { OldLogProbs = OldLogProbSource.Rollout });
        var error = Assert.Throws<NonFiniteLossException>(() => trainer.Train(batch));
        Assert.Contains("Non-finite", error.Message);
        Assert.Equal(0, trainer.StepCount);
        Assert.Equal(before.Select(float.IsNaN), Weights(model).Select(float.IsNaN));
        Assert.Equal(before.Where(w => !float.IsNaN(w)), Weights(model).Where(w => !float.IsNaN(w)));
    }

    [Fact]
    public void Malformed_samples_are_rejected()
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 9);
        using var trainer = new PolicyGradientTrainer(model, 0, new PolicyGradientOptions());
        Assert.Throws<ArgumentException>(() => trainer.Train([new PolicySample([1, 2, 3], [false, true], [0, 0, 0], 1)]));
        Assert.Throws<ArgumentException>(() => trainer.Train([new PolicySample([1, 2], [true, true], [0, 0], 1)]));
        Assert.Throws<ArgumentException>(() => trainer.Train([new PolicySample([1, 2], [false, true], [0, 0], double.NaN)]));
        Assert.Empty(trainer.Train([new PolicySample([1, 2], [false, false], [0, 0], 1)]).Updates);
        Assert.Throws<ArgumentException>(() => trainer.Train([new PolicySample([1, 2], [false, true], [0, 0], 1) { TokenAdvantages = [0] }]));
        Assert.Throws<ArgumentException>(() => trainer.Train([new PolicySample([1, 2], [false, true], [0, 0], 1) { TokenAdvantages = [0, float.NaN] }]));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Router_balancing_during_policy_updates_can_be_frozen(bool balance)
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 13);
        var generator = new PolicyGenerator(model, padTokenId: 0);
        using var trainer = new PolicyGradientTrainer(model, 0, new PolicyGradientOptions { LearningRate = 1e-3, BalanceRouters = balance }, new OpenGradientGate());
        float[] Bias() => [.. model.named_buffers().Where(b => b.name.EndsWith("router_bias")).SelectMany(b => b.buffer.data<float>().ToArray())];
        var before = Bias();
        trainer.Train([MultiTurnSample(generator, [1, 2, 3], [7, 8], 60, 1), MultiTurnSample(generator, [1, 2, 3], [7, 8], 70, -1)]);
        if (balance) Assert.NotEqual(before, Bias());
        else Assert.Equal(before, Bias());
    }

    [Fact]
    public void The_order_of_the_samples_in_a_batch_does_not_change_the_update()
    {
        float[] TrainedWeights(bool reversed)
        {
            using var model = new MoeCausalLM(TinyModels.Config(), seed: 14);
            var generator = new PolicyGenerator(model, padTokenId: 0);
            using var trainer = new PolicyGradientTrainer(model, 0, new PolicyGradientOptions { LearningRate = 1e-2, WarmupUpdates = 0, MicroBatchSize = 2 }, new OpenGradientGate());
            // Prompts of different lengths, so micro-batches of two pad differently in either order.
            var samples = new[] { MultiTurnSample(generator, [1, 2, 3, 4, 5, 6, 7], [7, 8], 80, 1), MultiTurnSample(generator, [1, 2], [7, 8], 81, -1),
                MultiTurnSample(generator, [1, 2, 3, 4], [7, 8], 82, 0.5) };
            Assert.Equal(3, samples.Select(s => s.TokenIds.Length).Distinct().Count());
            trainer.Train(reversed ? [.. samples.Reverse()] : samples);
            return Weights(model);
        }

        Assert.Equal(TrainedWeights(false), TrainedWeights(true));
    }

    [Fact]
    public void Token_advantages_replace_the_sequence_advantage_token_by_token()
    {
        float[] TrainedWeights(Func<PolicySample, PolicySample> shape)
        {
            using var model = new MoeCausalLM(TinyModels.Config(), seed: 12);
            var generator = new PolicyGenerator(model, padTokenId: 0);
            using var trainer = new PolicyGradientTrainer(model, 0, new PolicyGradientOptions { LearningRate = 1e-2, WarmupUpdates = 0 }, new OpenGradientGate());
            var samples = new[] { MultiTurnSample(generator, [1, 2, 3], [7, 8], 40, 1.5), MultiTurnSample(generator, [1, 2, 3], [7, 8], 50, -0.5) };
            trainer.Train([.. samples.Select(shape)]);
            return Weights(model);
        }

        var sequence = TrainedWeights(s => s);
        // The same advantage written on every token trains exactly like the sequence's advantage.
        var broadcast = TrainedWeights(s => s with { Advantage = 0, TokenAdvantages = [.. s.TokenIds.Select(_ => (float)s.Advantage)] });
        Assert.Equal(sequence, broadcast);
        // Other token advantages train differently.
        var varied = TrainedWeights(s => s with { TokenAdvantages = [.. s.TokenIds.Select((_, t) => t % 2 == 0 ? (float)s.Advantage : 0f)] });
        Assert.NotEqual(sequence, varied);
    }
}
