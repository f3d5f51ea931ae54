using Agentic.Core.Randomness;
using Agentic.Training.Tasks.Addition;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Agentic.Training.Tests.Tasks.Addition;

[Properties(Replay = "(2815681008637756,2235417749)")]
public class AdditionTaskTests
{
    [Fact]
    public void Training_and_held_out_splits_never_overlap()
    {
        var task = new AdditionTask();
        var train = task.SampleTraining(new DeterministicRandom(1), 20_000);
        var heldOut = task.SampleHeldOut(new DeterministicRandom(2), 2_000);

        Assert.All(train, p => Assert.False(task.IsHeldOut(p.A, p.B)));
        Assert.All(heldOut, p => Assert.True(task.IsHeldOut(p.A, p.B)));
        Assert.Empty(train.Select(p => (p.A, p.B)).Intersect(heldOut.Select(p => (p.A, p.B))));
        Assert.Equal(heldOut.Count, heldOut.Select(p => (p.A, p.B)).Distinct().Count());
        Assert.All(heldOut, p => Assert.True(p.A is >= 100 and <= 999 && p.B is >= 100 and <= 999));
        // The split holds about the configured fraction of all pairs.
        var all = Enumerable.Range(100, 900).SelectMany(a => Enumerable.Range(100, 900).Select(b => (a, b)));
        double fraction = all.Count(p => task.IsHeldOut(p.a, p.b)) / 810_000.0;
        Assert.InRange(fraction, 0.095, 0.105);
    }

    [Fact]
    public void Sampling_is_deterministic_for_a_seed()
    {
        var task = new AdditionTask();
        Assert.Equal(task.SampleTraining(new DeterministicRandom(5), 100), task.SampleTraining(new DeterministicRandom(5), 100));
        Assert.NotEqual(task.SampleTraining(new DeterministicRandom(5), 100), task.SampleTraining(new DeterministicRandom(6), 100));
    }

    [Property(MaxTest = 200)]
    public void Replies_are_judged_correct_in_both_formats(NonNegativeInt a, NonNegativeInt b)
    {
        var problem = new AdditionProblem(a.Get, b.Get);
        Assert.True(problem.IsCorrect(problem.Reply(AdditionFormat.Plain)));
        Assert.True(problem.IsCorrect(problem.Reply(AdditionFormat.ReversedScratchpad)));
        Assert.True(problem.IsCorrect(problem.Reply(AdditionFormat.ColumnScratchpad)));
        Assert.True(problem.IsCorrect(" " + problem.Answer + "\n"));
        Assert.False(problem.IsCorrect(problem.Answer + "0"));
        Assert.False(problem.IsCorrect($"<think>{problem.Answer}</think>{problem.Sum + 1}"));
    }

    [Fact]
    public void Scratchpad_writes_the_digits_least_significant_first()
    {
        var problem = new AdditionProblem(123, 989);
        Assert.Equal("What is 123+989?", problem.Question);
        Assert.Equal("<think>2111</think>1112", problem.Reply(AdditionFormat.ReversedScratchpad));
        Assert.Equal("1112", problem.Reply(AdditionFormat.Plain));
        Assert.Equal("<think>002 111</think>1112", problem.Reply(AdditionFormat.ColumnScratchpad));
        Assert.Equal("<think>068 101</think>1078", new AdditionProblem(159, 919).Reply(AdditionFormat.ColumnScratchpad));
        Assert.Equal("<think>128 000</think>128", new AdditionProblem(5, 123).Reply(AdditionFormat.ColumnScratchpad));
    }

    [Fact]
    public void Invalid_options_are_rejected()
    {
        Assert.ThrowsAny<System.ComponentModel.DataAnnotations.ValidationException>(() => new AdditionTask(new AdditionTaskOptions { MinDigits = 4, MaxDigits = 3 }));
        Assert.ThrowsAny<System.ComponentModel.DataAnnotations.ValidationException>(() => new AdditionTask(new AdditionTaskOptions { HeldOutFraction = 0.9 }));
    }
}
