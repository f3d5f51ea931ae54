using Agentic.Core.Chat;
using Agentic.Core.Tokenization;
using Agentic.Rl.Modeling;
using Agentic.Rl.SelfVerification;
using Agentic.Rl.Tests.Modeling;
using Agentic.Rl.Training;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Agentic.Rl.Tests.SelfVerification;

[Properties(Replay = "(287237777789114,2252650389)")]
public class SelfVerificationTests
{
    [Property(MaxTest = 100)]
    public bool Balanced_batches_hold_as_many_correct_as_incorrect_pairs(PositiveInt correct, PositiveInt incorrect, PositiveInt half)
    {
        var buffer = new VerificationBuffer(capacityPerClass: 16);
        for (int i = 0; i < correct.Get % 40 + 1; i++) buffer.Add(new VerificationExample($"p{i}", "a", true));
        for (int i = 0; i < incorrect.Get % 40 + 1; i++) buffer.Add(new VerificationExample($"q{i}", "b", false));
        var batch = buffer.SampleBalanced(new Random(1), 2 * (half.Get % 20 + 1));
        return batch.Count(e => e.Correct) == batch.Count(e => !e.Correct) && buffer.CorrectCount <= 16 && buffer.IncorrectCount <= 16;
    }

    [Fact]
    public void An_unbalanced_buffer_gives_no_batch()
    {
        var buffer = new VerificationBuffer();
        buffer.Add(new VerificationExample("p", "a", true));
        Assert.Empty(buffer.SampleBalanced(new Random(1), 8));
    }

    [Theory]
    [InlineData("yes", true)]
    [InlineData(" Yes, it is.", true)]
    [InlineData("no", false)]
    [InlineData("maybe", null)]
    [InlineData("", null)]
    [InlineData("<think>579 000 579</think>yes", true)]
    [InlineData("<think>yes</think> no", false)]
    [InlineData("<think>no", null)]
    public void Verdicts_are_read_from_the_reply(string reply, bool? expected) =>
        Assert.Equal(expected, new VerificationPrompt().Parse(reply));

    private sealed class WorkedPrompt : VerificationPrompt
    {
        public override string Reply(VerificationExample example) => $"<think>{example.Problem.Length}</think>{Verdict(example.Correct)}";
    }

    [Fact]
    public void A_demonstration_holds_the_subclass_reply_and_reads_back_as_its_verdict()
    {
        var prompt = new WorkedPrompt();
        var demo = prompt.Demonstration(new VerificationExample("What is 1+2?", "4", false));
        Assert.Equal("<think>12</think>no", demo[^1].Text);
        Assert.False(prompt.Parse(demo[^1].Text));
        Assert.Equal("yes", new VerificationPrompt().Demonstration(new VerificationExample("p", "a", true))[^1].Text);
    }

    [Fact]
    public void A_verification_step_trains_on_balanced_on_policy_pairs()
    {
        var tokenizer = ByteLevelTokenizer.CreateDefault();
        var template = new ChatTemplate(tokenizer);
        using var model = new MoeCausalLM(TinyModels.Config(vocab: 288) with { MaxPositionEmbeddings = 256 }, seed: 3);
        using var trainer = new PolicyGradientTrainer(model, tokenizer.EndOfTextId, new PolicyGradientOptions { LearningRate = 1e-3 });
        var verifier = new SelfVerificationTrainer(model, tokenizer, template, trainer, new SelfVerificationOptions { Every = 2, PairsPerStep = 4, GroupSize = 4, MaxNewTokens = 3 });

        Assert.Null(verifier.Step(new Random(1), 1).Update);
        Assert.False(verifier.IsDue(1));
        Assert.True(verifier.IsDue(2));
        verifier.Buffer.Add(new VerificationExample("What is 1+1?", "2", true));
        verifier.Buffer.Add(new VerificationExample("What is 1+2?", "4", false));
        var result = verifier.Step(new Random(1), 2);
        Assert.Equal(4, result.Pairs);
        Assert.InRange(result.Accuracy, 0, 1);
        Assert.InRange(result.InvalidVerdicts, 0, 1);
        Assert.NotNull(result.Update);
        Assert.InRange(verifier.Evaluate([new VerificationExample("What is 1+1?", "2", true)]), 0, 1);
        // Without a trainer, the same greedy verdicts give the same accuracy.
        VerificationExample[] set = [new("What is 1+1?", "2", true), new("What is 1+2?", "4", false), new("What is 2+2?", "4", true)];
        Assert.Equal(verifier.Evaluate(set), SelfVerificationTrainer.Evaluate(model, tokenizer, template, set, maxNewTokens: 3));
        Assert.True(double.IsNaN(SelfVerificationTrainer.Evaluate(model, tokenizer, template, [])));
    }
}
