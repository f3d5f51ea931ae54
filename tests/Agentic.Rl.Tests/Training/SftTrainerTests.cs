using Agentic.Core.Chat;
using Agentic.Rl.Modeling;
using Agentic.Rl.Tests.Modeling;
using Agentic.Rl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Agentic.Rl.Tests.Training;

public class SftTrainerTests
{
    internal static TokenizedConversation[] TinyData()
    {
        // Prompt tokens (no loss) followed by a fixed "answer" that depends on the first prompt token.
        return Enumerable.Range(0, 8).Select(i =>
        {
            int[] ids = [1, 10 + i, 20 + i, 2, 30 + i, 40 + (i % 3), 3];
            bool[] mask = [false, false, false, false, true, true, true];
            return new TokenizedConversation(ids, mask);
        }).ToArray();
    }

    [Fact]
    public void Loss_falls_when_memorising_a_tiny_set()
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 31);
        using var trainer = new SftTrainer(model, 0, new SftOptions { Steps = 60, BatchSize = 8, LearningRate = 1e-2, WarmupSteps = 5 });
        var data = TinyData();
        var first = trainer.Step(data);
        SftStepResult last = first;
        for (int i = 0; i < 59; i++) last = trainer.Step(data);

        Assert.Equal(60, last.Step);
        Assert.Equal(8 * 3, first.LossTokens);
        Assert.True(last.Loss < first.Loss / 5, $"loss {first.Loss:F3} -> {last.Loss:F3}");
        Assert.True(first.LmHeadGradNorm > 0);
    }

    [Fact]
    public void Planning_fewer_steps_ends_the_cosine_decay_at_the_new_total()
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 3);
        var options = new SftOptions { Steps = 100, BatchSize = 8, LearningRate = 1e-2, WarmupSteps = 2, MinLearningRateRatio = 0.05 };
        using var trainer = new SftTrainer(model, 0, options);
        var data = TinyData();
        for (int i = 0; i < 5; i++) trainer.Step(data);
        double unplanned = trainer.CurrentLearningRate;

        trainer.PlanSteps(10);

        Assert.Equal(10, trainer.PlannedSteps);
        Assert.True(trainer.CurrentLearningRate < unplanned, $"{trainer.CurrentLearningRate} vs {unplanned}");
        SftStepResult last = trainer.Step(data);
        while (trainer.StepCount < trainer.PlannedSteps) last = trainer.Step(data);
        // The last planned step runs at (nearly) the floor, as if the run had been planned that long from the start.
        Assert.Equal(new WarmupCosineSchedule(1e-2, 2, 10, 0.05).At(9), last.LearningRate, 12);
        Assert.True(last.LearningRate < 1e-2 * 0.1);
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.PlanSteps(trainer.StepCount));
        Assert.Throws<ArgumentOutOfRangeException>(() => trainer.PlanSteps(options.Steps + 1));
    }

    [Fact]
    public void Length_bucketing_draws_batches_of_neighbouring_lengths()
    {
        var data = Enumerable.Range(0, 40).Select(i => new TokenizedConversation([.. Enumerable.Repeat(1, 2 + (i * 7) % 40)], [.. Enumerable.Repeat(false, 2 + (i * 7) % 40)])).ToArray();
        var sorted = data.Select(d => d.Count).Order().ToArray();
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 1);
        using var trainer = new SftTrainer(model, 0, new SftOptions { BatchSize = 4, LengthBucketing = true });
        for (int k = 0; k < 20; k++)
        {
            var batch = trainer.SampleBatch(data);
            Assert.Equal(4, batch.Distinct().Count());
            var ranks = batch.Select(d => Array.IndexOf(sorted, d.Count)).ToArray();
            Assert.True(ranks.Max() - ranks.Min() < 16, $"ranks {string.Join(", ", ranks)} span more than a 4-batch window");
        }
    }

    [Fact]
    public void Only_masked_tokens_carry_loss()
    {
        var data = TinyData();
        using var batch = TokenBatch.Create([data[0], new TokenizedConversation([1, 2, 3], [false, true, false])], padTokenId: 0);
        // Targets are ids[1:]: row 0 trains on 30, 40, 3; row 1 on 2 only; padding never.
        Assert.Equal(new long[] { -100, -100, -100, 30, 40, 3, 2, -100, -100, -100, -100, -100 }, batch.Targets.data<long>().ToArray());
        Assert.Equal(4, batch.LossTokens);
    }

    [Fact]
    public void Non_finite_loss_is_a_typed_error_and_leaves_weights_unchanged()
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 32);
        using var trainer = new SftTrainer(model, 0, new SftOptions { Steps = 10, BatchSize = 8 });
        using (no_grad()) model.LmHead.weight![0, 0] = float.NaN;
        using var before = model.LmHead.weight!.clone();

        Assert.Throws<NonFiniteLossException>(() => trainer.Step(TinyData()));
        Assert.Equal(0, trainer.StepCount);
        Assert.True(before.isnan().equal(model.LmHead.weight!.isnan()).all().item<bool>());
        Assert.True(before.nan_to_num().equal(model.LmHead.weight!.nan_to_num()).all().item<bool>());
    }

    [Fact]
    public void TorchSharp_memory_does_not_grow_across_training_steps()
    {
        using var model = new MoeCausalLM(TinyModels.Config(), seed: 33);
        using var trainer = new SftTrainer(model, 0, new SftOptions { Steps = 50, BatchSize = 8 });
        var data = TinyData();
        for (int i = 0; i < 3; i++) trainer.Step(data); // optimizer state is allocated lazily
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 20; i++) trainer.Step(trainer.SampleBatch(data));
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Warmup_then_cosine_schedule()
    {
        var schedule = new WarmupCosineSchedule(1.0, WarmupSteps: 10, TotalSteps: 110, MinRatio: 0.1);
        Assert.Equal(0.1, schedule.At(0), 9);
        Assert.Equal(1.0, schedule.At(9), 9);
        Assert.Equal(1.0, schedule.At(10), 9);
        Assert.Equal(0.55, schedule.At(60), 9);
        Assert.Equal(0.1, schedule.At(110), 9);
        for (int s = 10; s < 110; s++) Assert.True(schedule.At(s + 1) <= schedule.At(s));
    }
}
