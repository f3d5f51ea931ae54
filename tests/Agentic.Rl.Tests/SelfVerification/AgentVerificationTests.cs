using Agentic.Core.Agents;
using Agentic.Core.Randomness;
using Agentic.Rl.SelfVerification;
using Agentic.Training.Tasks;
using Agentic.Training.Tasks.LongContext;
using FsCheck;
using FsCheck.Xunit;
using Microsoft.Extensions.AI;

namespace Agentic.Rl.Tests.SelfVerification;

[Properties(Replay = "(3453503426055668,1762728683)")]
public class AgentVerificationTests
{
    private static async Task<IReadOnlyList<Trajectory>> ExpertRunsAsync(string suite, int count)
    {
        var s = TaskSuites.Create(suite, SuiteScale.Small);
        var tasks = s.HeldOut(count);
        return await new AgentLoop(s.CreateExpert(), new AgentLoopOptions { MaxTurns = 12 })
            .RunAsync(tasks.Select((t, i) => new AgentEpisode(s.CreateEnvironment(), t, (ulong)i)).ToArray());
    }

    [Fact]
    public async Task An_episodes_pair_is_what_the_agent_was_shown_its_last_answer_and_its_outcome()
    {
        foreach (var run in await ExpertRunsAsync(LongContextSuite.Name, 20))
        {
            var task = (LongContextTask)run.Task;
            var pair = AgentVerification.FromTrajectory(run)!;
            Assert.Equal(task.Answer, pair.Answer);
            Assert.True(pair.Correct);
            Assert.StartsWith($"<problem>{task.Instruction}</problem>", pair.Problem, StringComparison.Ordinal);
            Assert.Contains(task.Chunks[0], pair.Problem, StringComparison.Ordinal);
            // The agent's own notes are not part of the problem.
            Assert.DoesNotContain("<memory>", pair.Problem, StringComparison.Ordinal);
        }

        var failed = new Trajectory(new AgentTask("t", "searchqa", "Who?"), 0,
            [new(ChatRole.System, "s"), new(ChatRole.User, "Who?"), new(ChatRole.Assistant, "<search>who</search>"),
             new(ChatRole.Tool, "<documents> (1) Ann: Ann was born in Rome. </documents>"), new(ChatRole.Assistant, "<answer>Paris</answer>")],
            [], [], [], 0, 0, new Dictionary<string, double> { ["success"] = 0 }, EpisodeEnd.Done, 2, []);
        var wrong = AgentVerification.FromTrajectory(failed)!;
        Assert.Equal(("Who?\n<documents> (1) Ann: Ann was born in Rome. </documents>", "Paris", false), (wrong.Problem, wrong.Answer, wrong.Correct));
        Assert.Null(AgentVerification.FromTrajectory(failed with { Messages = failed.Messages.Take(3).ToArray() }));
    }

    [Fact]
    public async Task Demonstrations_pair_the_experts_answer_with_a_wrong_one_of_the_same_shape()
    {
        var random = new DeterministicRandom(3);
        int distractors = 0;
        foreach (var run in (await ExpertRunsAsync(LongContextSuite.Name, 30)).Concat(await ExpertRunsAsync("searchqa", 30)))
        {
            var pairs = AgentVerification.Demonstrations(run, random);
            Assert.Equal([true, false], pairs.Select(p => p.Correct));
            Assert.Equal(pairs[0].Problem, pairs[1].Problem);
            Assert.NotEqual(pairs[0].Answer, pairs[1].Answer, StringComparer.OrdinalIgnoreCase);
            if (pairs[0].Answer.All(char.IsAsciiDigit)) Assert.Matches(@"^\d{6}$", pairs[1].Answer);
            if (pairs[1].Problem.Contains(pairs[1].Answer, StringComparison.Ordinal)) distractors++;
        }
        // Multi-key longcontext tasks and searchqa's documents offer wrong values the agent really saw.
        Assert.True(distractors >= 20, $"{distractors} wrong answers taken from the context");
        Assert.Empty(AgentVerification.Demonstrations((await ExpertRunsAsync(LongContextSuite.Name, 1))[0] with { Info = new Dictionary<string, double> { ["success"] = 0 } }, random));
    }

    [Property(MaxTest = 200)]
    public bool A_wrong_answer_always_differs_from_the_right_one(NonEmptyString problem, NonEmptyString answer, int seed) =>
        !AgentVerification.WrongAnswer(problem.Get, answer.Get, new DeterministicRandom((ulong)(uint)seed)).Equals(answer.Get, StringComparison.OrdinalIgnoreCase);
}
