using Agentic.Core.Agents;
using Agentic.Core.Randomness;
using Agentic.Training.Evaluation;
using Agentic.Training.Retrieval;
using Agentic.Training.Tasks.SearchQa;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tests.Tasks.SearchQa;

[Properties(Replay = "(955392418772718,1165690795)")]
public class SearchQaSuiteTests
{
    [Fact]
    public async Task The_scripted_expert_answers_every_question_in_the_AutoRefine_format()
    {
        var suite = new SearchQaSuite();
        var tasks = suite.SampleTraining(new DeterministicRandom(1), 60).Concat(suite.HeldOut(20)).ToArray();
        var trajectories = await new AgentLoop(new SearchQaExpert(), new AgentLoopOptions { MaxTurns = 6 })
            .RunAsync(tasks.Select((t, i) => new AgentEpisode(suite.CreateEnvironment(), t, (ulong)i)).ToArray());

        Assert.All(trajectories, t =>
        {
            Assert.True(t.Success, $"{t.Task.Instruction}: {string.Join(" | ", t.Messages.Select(m => m.Text))}");
            Assert.Equal(1, t.Info["gold_in_refine"]);
            Assert.Equal(1, t.Info["format_ok"]);
            Assert.Equal(t.Task.Difficulty, t.Info["searches"]);
        });
        Assert.Equal([1, 2, 3], tasks.Select(t => t.Difficulty).Distinct().Order());
    }

    [Fact]
    public void Held_out_worlds_are_disjoint_from_training_worlds()
    {
        var suite = new SearchQaSuite();
        var train = suite.SampleTraining(new DeterministicRandom(2), 200).Cast<SearchQaTask>().Select(t => t.WorldSeed).ToHashSet();
        var held = suite.HeldOut(50).Cast<SearchQaTask>().Select(t => t.WorldSeed).ToHashSet();
        Assert.Empty(train.Intersect(held));
    }

    [Fact]
    public async Task Answers_are_scored_by_exact_match_with_the_refine_credit_recorded()
    {
        var suite = new SearchQaSuite(new SearchQaSuiteOptions { MinHops = 1, MaxHops = 1 });
        var task = (SearchQaTask)suite.SampleTraining(new DeterministicRandom(3), 1)[0];
        var environment = suite.CreateEnvironment();
        await environment.ResetAsync(task, 0);
        var step = await environment.StepAsync(new AgentAction(new ChatMessage(ChatRole.Assistant, $"<refine>it is {task.Answer}</refine><answer>Nowhere</answer>"), [], []));
        Assert.True(step.Done);
        Assert.Equal(0, step.Info["success"]);
        Assert.Equal(1, step.Info["gold_in_refine"]);

        var malformed = await environment.StepAsync(new AgentAction(new ChatMessage(ChatRole.Assistant, "I think <search>unclosed"), [], []));
        Assert.False(malformed.Done);
        Assert.Contains("No <search>", Assert.Single(malformed.Observation).Text);
    }

    [Fact]
    public void Bm25_ranks_the_matching_fact_first()
    {
        var world = SearchQaWorld.Generate(7);
        using var index = new Bm25SearchIndex(world.Documents);
        var (person, city) = world.BornIn.First();
        var hits = index.Search($"{person} born");
        Assert.Equal($"{person} was born in {city}.", hits[0].Text);
        Assert.Empty(index.Search("   "));
        Assert.NotNull(index.Search("AND OR ( \" [ ~ ^"));
    }

    [Property(MaxTest = 200)]
    public void Metrics_are_bounded_and_exact_match_implies_full_f1(NonEmptyString prediction, NonEmptyString gold)
    {
        double em = AnswerMetrics.ExactMatch(prediction.Get, gold.Get), f1 = AnswerMetrics.F1(prediction.Get, gold.Get);
        Assert.InRange(f1, 0, 1);
        if (em == 1) Assert.Equal(1, f1, 9);
        Assert.Equal(AnswerMetrics.Normalize(gold.Get).Length > 0 ? 1 : 0, AnswerMetrics.ExactMatch(gold.Get, gold.Get));
    }

    [Fact]
    public void AutoRefine_tags_are_parsed_and_checked()
    {
        const string text = "<think>hmm</think><search>q1</search><documents>d</documents><refine>e1</refine><answer> Paris </answer>";
        Assert.Equal("Paris", AutoRefineFormat.Answer(text));
        Assert.Equal("q1", AutoRefineFormat.SearchQuery(text));
        Assert.Equal(["e1"], AutoRefineFormat.Refinements(text));
        Assert.True(AutoRefineFormat.IsWellFormed(text));
        Assert.False(AutoRefineFormat.IsWellFormed("<refine>a<refine>b</refine></refine>"));
        Assert.False(AutoRefineFormat.IsWellFormed("<answer>x"));
    }
}
