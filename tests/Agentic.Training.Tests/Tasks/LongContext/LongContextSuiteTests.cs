using Agentic.Core.Agents;
using Agentic.Core.Randomness;
using Agentic.Training.Tasks.LongContext;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tests.Tasks.LongContext;

public class LongContextSuiteTests
{
    [Fact]
    public async Task The_expert_answers_every_question_and_exits_right_after_the_evidence()
    {
        var suite = new LongContextSuite();
        var tasks = suite.SampleTraining(new DeterministicRandom(1), 60).Concat(suite.HeldOut(20)).Cast<LongContextTask>().ToArray();
        var trajectories = await new AgentLoop(new LongContextExpert(), new AgentLoopOptions { MaxTurns = 12 })
            .RunAsync(tasks.Select((t, i) => new AgentEpisode(suite.CreateEnvironment(), t, (ulong)i)).ToArray());

        Assert.All(trajectories, t =>
        {
            Assert.True(t.Success, t.Task.Instruction);
            Assert.Equal(0, t.Info["exit_after_evidence"]);
            // An answer about a key states the asked fact on the line before it, worded as in the memory.
            var task = (LongContextTask)t.Task;
            var last = t.Messages.Last(m => m.Role == ChatRole.Assistant).Text!;
            if (task.Question != LongContextQuestion.VariableTracking)
                Assert.EndsWith($"\n{task.EvidenceFacts[0]}\n<answer>{task.Answer}</answer>", last, StringComparison.Ordinal);
            else
                Assert.DoesNotContain("The special code", last, StringComparison.Ordinal);
        });
        Assert.Equal(3, tasks.Select(t => t.Question).Distinct().Count());
    }

    [Fact]
    public void Evidence_chunks_hold_the_facts_and_splits_are_disjoint()
    {
        var suite = new LongContextSuite(new LongContextSuiteOptions { Chunks = 12, TrackingHops = 4 });
        foreach (var task in suite.SampleTraining(new DeterministicRandom(2), 50).Cast<LongContextTask>())
        {
            Assert.Equal(12, task.Chunks.Count);
            Assert.Contains(task.EvidenceChunks, i => task.Chunks[i].Contains(task.Answer, StringComparison.Ordinal));
            if (task.Question == LongContextQuestion.VariableTracking) Assert.Equal(4, task.Difficulty);
        }
        var train = suite.SampleTraining(new DeterministicRandom(3), 100).Select(t => t.Id).ToHashSet();
        Assert.Empty(train.Intersect(suite.HeldOut(100).Select(t => t.Id)));
    }

    [Fact]
    public void Evidence_facts_stand_verbatim_in_the_evidence_chunks_and_distractors_are_not_evidence()
    {
        var suite = new LongContextSuite(new LongContextSuiteOptions { Chunks = 6, TrackingHops = 3, DistractorNeedles = 3 });
        foreach (var task in suite.SampleTraining(new DeterministicRandom(4), 60).Cast<LongContextTask>())
        {
            Assert.Equal(task.Question == LongContextQuestion.VariableTracking ? 3 : 1, task.EvidenceFacts.Count);
            // Each fact stands in exactly one chunk, an evidence chunk, in reading order.
            var where = task.EvidenceFacts.Select(f => Enumerable.Range(0, task.Chunks.Count).Single(i => task.Chunks[i].Contains(f + ".", StringComparison.Ordinal) || task.Chunks[i].EndsWith(f, StringComparison.Ordinal))).ToArray();
            Assert.All(where, i => Assert.Contains(i, task.EvidenceChunks));
            Assert.Equal(where.Order(), where);
            Assert.Contains(task.Answer, task.EvidenceFacts[0], StringComparison.Ordinal);
            if (task.Question == LongContextQuestion.MultiKey)
                Assert.Equal(4, task.Chunks.Sum(c => c.Split("The special code for ").Length - 1));
        }
    }

    [Fact]
    public void More_distractors_than_the_suite_has_other_keys_are_refused()
    {
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new LongContextSuite(new LongContextSuiteOptions { DistractorNeedles = 12 }));
        // Eleven distractors use every other key.
        var task = new LongContextSuite(new LongContextSuiteOptions { Chunks = 2, DistractorNeedles = 11 }).SampleTraining(new DeterministicRandom(8), 30)
            .Cast<LongContextTask>().First(t => t.Question == LongContextQuestion.MultiKey);
        Assert.Equal(12, task.Chunks.Sum(c => c.Split("The special code for ").Length - 1));
    }

    [Fact]
    public void Questions_limit_the_kinds_drawn_and_the_default_draws_all_three_as_before()
    {
        var multiKey = new LongContextSuite(new LongContextSuiteOptions { Questions = [LongContextQuestion.MultiKey] });
        Assert.All(multiKey.SampleTraining(new DeterministicRandom(3), 40).Cast<LongContextTask>(), t => Assert.Equal(LongContextQuestion.MultiKey, t.Question));

        // Listing the three kinds in order draws the same tasks as the default, so held-out sets stay as they were.
        var all = new LongContextSuite(new LongContextSuiteOptions
        {
            Questions = [LongContextQuestion.SingleNeedle, LongContextQuestion.MultiKey, LongContextQuestion.VariableTracking],
        }).HeldOut(30).Cast<LongContextTask>().ToArray();
        var byDefault = new LongContextSuite().HeldOut(30).Cast<LongContextTask>().ToArray();
        Assert.Equal(byDefault.Select(t => (t.Question, t.Answer)), all.Select(t => (t.Question, t.Answer)));
        Assert.Equal(3, byDefault.Select(t => t.Question).Distinct().Count());
    }

    [Fact]
    public void WithQuestions_keeps_the_other_options_and_leaves_the_suite_unchanged()
    {
        var suite = new LongContextSuite(new LongContextSuiteOptions { Chunks = 3, ChunkCharacters = 120, DistractorNeedles = 2, TrackingHops = 2 });
        var before = suite.HeldOut(12).Cast<LongContextTask>().Select(t => (t.Question, t.Answer)).ToArray();
        var multiKey = suite.WithQuestions([LongContextQuestion.MultiKey]);

        Assert.All(multiKey.SampleTraining(new DeterministicRandom(5), 30).Cast<LongContextTask>(), t =>
        {
            Assert.Equal(LongContextQuestion.MultiKey, t.Question);
            Assert.Equal(3, t.Chunks.Count);
            // The asked needle and two distractors.
            Assert.Equal(3, t.Chunks.Sum(c => c.Split("The special code for ").Length - 1));
        });
        Assert.Equal(before, suite.HeldOut(12).Cast<LongContextTask>().Select(t => (t.Question, t.Answer)));
        Assert.Contains(before, t => t.Question != LongContextQuestion.MultiKey);
        // Training seeds stay odd and held-out seeds even: a focused training suite never draws a held-out context.
        var heldOut = suite.HeldOut(50).Select(t => t.Id).ToHashSet();
        Assert.DoesNotContain(multiKey.SampleTraining(new DeterministicRandom(6), 200), t => heldOut.Contains(t.Id));
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => suite.WithQuestions([]));
    }

    [Fact]
    public void No_question_kinds_or_an_unknown_kind_is_refused()
    {
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new LongContextSuite(new LongContextSuiteOptions { Questions = [] }));
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new LongContextSuite(new LongContextSuiteOptions { Questions = [(LongContextQuestion)7] }));
    }

    [Fact]
    public async Task Reading_every_section_then_answering_wrong_fails()
    {
        var suite = new LongContextSuite(new LongContextSuiteOptions { Chunks = 3 });
        var task = suite.HeldOut(1)[0];
        var environment = suite.CreateEnvironment();
        await environment.ResetAsync(task, 0);
        for (int i = 0; i < 3; i++) await environment.StepAsync(new AgentAction(new ChatMessage(ChatRole.Assistant, "<memory>nothing</memory>"), [], []));
        var end = await environment.StepAsync(new AgentAction(new ChatMessage(ChatRole.Assistant, "<answer>42</answer>"), [], []));
        Assert.True(end.Done);
        Assert.Equal(0, end.Info["success"]);
        Assert.Equal(1, end.Info["read_all"]);
    }
}
