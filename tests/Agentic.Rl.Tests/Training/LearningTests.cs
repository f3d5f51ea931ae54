using Agentic.Core.Chat;
using Agentic.Core.Randomness;
using Agentic.Rl.Modeling;
using Agentic.Rl.Tests.Modeling;
using Agentic.Rl.Training;

namespace Agentic.Rl.Tests.Training;

public class LearningTests
{
    [Fact]
    public void Learns_to_copy_a_random_sequence_through_attention()
    {
        // [1, x1..x6, 2, x1..x6]: the second half is predictable only by attending back 7 positions.
        var random = new DeterministicRandom(3);
        var data = Enumerable.Range(0, 512).Select(_ =>
        {
            var xs = Enumerable.Range(0, 6).Select(_ => random.Next(10, 40)).ToArray();
            int[] ids = [1, .. xs, 2, .. xs];
            bool[] mask = [.. Enumerable.Repeat(false, 8), .. Enumerable.Repeat(true, 6)];
            return new TokenizedConversation(ids, mask);
        }).ToArray();
        using var model = new MoeCausalLM(TinyModels.Config() with { InitializerRange = 0.02f }, seed: 3);
        using var trainer = new SftTrainer(model, 0, new SftOptions { Steps = 120, BatchSize = 32, LearningRate = 1e-2, WarmupSteps = 10 });
        SftStepResult last = trainer.Step(trainer.SampleBatch(data));
        double first = last.Loss;
        while (trainer.StepCount < 120) last = trainer.Step(trainer.SampleBatch(data));
        Assert.True(last.Loss < 0.1, $"copy loss {first:F3} -> {last.Loss:F3}");
    }
}
