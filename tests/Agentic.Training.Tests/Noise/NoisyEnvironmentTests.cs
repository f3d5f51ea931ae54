using Agentic.Core.Agents;
using Agentic.Core.Randomness;
using Agentic.Training.Noise;
using Agentic.Training.Tasks.ToolUse;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tests.Noise;

public class NoisyEnvironmentTests
{
    [Fact]
    public async Task Every_injection_is_recorded_in_the_trajectory_and_rate_zero_changes_nothing()
    {
        var suite = new ToolUseSuite(new ToolUseSuiteOptions { MinDifficulty = 3 });
        var tasks = suite.SampleTraining(new DeterministicRandom(9), 20);
        var loop = new AgentLoop(new ToolUseExpert(), new AgentLoopOptions { MaxTurns = 10 });

        var injected = 0;
        var noisy = await loop.RunAsync(tasks.Select((t, i) =>
        {
            var options = ToolNoiseOptions.ForLevel(NoiseLevel.High, (ulong)i);
            options.InjectionRate = 1;
            options.OnNoiseInjected = _ => { Interlocked.Increment(ref injected); return ValueTask.CompletedTask; };
            return new AgentEpisode(new NoisyEnvironment(suite.CreateEnvironment(), options), t, (ulong)i);
        }).ToArray());
        int recorded = noisy.Sum(t => t.Events.Count(e => e.Kind.StartsWith("noise:tool:", StringComparison.Ordinal)));
        Assert.True(recorded > 0);
        Assert.Equal(injected, recorded);

        var quiet = await loop.RunAsync(tasks.Select((t, i) =>
        {
            var options = ToolNoiseOptions.ForLevel(NoiseLevel.High, (ulong)i);
            options.InjectionRate = 0;
            return new AgentEpisode(new NoisyEnvironment(suite.CreateEnvironment(), options), t, (ulong)i);
        }).ToArray());
        Assert.All(quiet, t => Assert.True(t.Success));
        Assert.All(quiet, t => Assert.DoesNotContain(t.Events, e => e.Kind.StartsWith("noise:", StringComparison.Ordinal)));
    }

    private static string Text(Trajectory t) => string.Join("\n", t.Messages.Select(m =>
        $"{m.Role}: {m.Text}" + string.Join(",", m.Contents.OfType<FunctionCallContent>().Select(c => $"{c.Name}({string.Join(",", c.Arguments?.Values ?? [])})"))
        + string.Join(",", m.Contents.OfType<FunctionResultContent>().Select(r => r.Result?.ToString()))));

    [Fact]
    public async Task User_noise_at_rate_zero_or_level_none_leaves_every_transcript_identical_to_the_clean_one()
    {
        var suite = new ToolUseSuite();
        var tasks = suite.SampleTraining(new DeterministicRandom(21), 60);
        var loop = new AgentLoop(new ToolUseExpert(), new AgentLoopOptions { MaxTurns = 10 });
        async Task<string[]> Run(Func<int, AgentEnvironment> environment) =>
            [.. (await loop.RunAsync(tasks.Select((t, i) => new AgentEpisode(environment(i), t, (ulong)i)).ToArray())).Select(Text)];

        var clean = await Run(_ => suite.CreateEnvironment());
        var rateZero = await Run(i =>
        {
            var user = UserNoiseOptions.ForLevel(NoiseLevel.High, (ulong)i);
            user.InjectionRate = 0;
            return new NoisyEnvironment(suite.CreateEnvironment(), null, user);
        });
        var none = await Run(i => NoisyEnvironment.ForLevel(suite.CreateEnvironment(), NoiseLevel.None, (ulong)i));

        Assert.Equal(clean, rateZero);
        Assert.Equal(clean, none);
        // A clean episode is what it was before the customer joined: the opening is the instruction, no question is asked.
        Assert.All(tasks.Zip(clean), p => Assert.StartsWith("system: You are a customer-support agent", p.Second, StringComparison.Ordinal));
        Assert.All(tasks.Zip(clean), p => Assert.Contains($"\nuser: {p.First.Instruction}\n", p.Second, StringComparison.Ordinal));
        Assert.All(clean, t => Assert.Equal(1, t.Split('\n').Count(l => l.StartsWith("user: ", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task User_injections_are_recorded_as_events_and_chained_callbacks_still_run()
    {
        var suite = new ToolUseSuite();
        var tasks = suite.SampleTraining(new DeterministicRandom(22), 30);
        int called = 0;
        var environments = tasks.Select((_, i) =>
        {
            var user = UserNoiseOptions.ForLevel(NoiseLevel.High, (ulong)i);
            user.InjectionRate = 1;
            user.OnNoiseInjected = _ => { Interlocked.Increment(ref called); return ValueTask.CompletedTask; };
            return new NoisyEnvironment(suite.CreateEnvironment(), ToolNoiseOptions.ForLevel(NoiseLevel.None), user);
        }).ToArray();

        var trajectories = await new AgentLoop(new ToolUseExpert(), new AgentLoopOptions { MaxTurns = 20 })
            .RunAsync(tasks.Select((t, i) => new AgentEpisode(environments[i], t, (ulong)i)).ToArray());

        var events = trajectories.SelectMany(t => t.Events).Where(e => e.Kind.StartsWith("noise:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(called, events.Length);
        Assert.All(events, e => Assert.StartsWith("noise:user:", e.Kind, StringComparison.Ordinal));
        // Every customer message (the opening included) was noised, and each injection is one event.
        Assert.All(trajectories.Zip(environments), p => Assert.Equal(p.First.Messages.Count(m => m.Role == ChatRole.User), p.Second.Injections.Count));
        Assert.All(trajectories, t => Assert.True(t.Success, Text(t)));
    }

    [Fact]
    public async Task User_noise_has_no_effect_on_an_environment_without_a_simulated_user_and_the_curriculum_builds_both()
    {
        var searchqa = Agentic.Training.Tasks.TaskSuites.Create("searchqa");
        var wrapped = new NoisyEnvironment(searchqa.CreateEnvironment(), null, UserNoiseOptions.ForLevel(NoiseLevel.High));
        Assert.False(wrapped.HasUserNoise);

#pragma warning disable AGENTIC030
        var curriculum = new NoiseCurriculum(new NoiseCurriculumOptions { InitialLevel = NoiseLevel.High });
        var noisy = curriculum.CreateNoisyEnvironment(new ToolUseSuite().CreateEnvironment(), 3);
#pragma warning restore AGENTIC030
        Assert.True(noisy.HasUserNoise);
        var task = new ToolUseSuite().SampleTraining(new DeterministicRandom(23), 1)[0];
        await noisy.ResetAsync(task, 0);
        Assert.NotEqual(0UL, NoisyEnvironment.UserSeed(0));
        Assert.Equal("noise:user:Typos", NoisyEnvironment.EventKind(new NoiseInjection(NoiseSource.User, "Typos", "user", 0, "")));
        Assert.Equal("noise:tool:Failure", NoisyEnvironment.EventKind(new NoiseInjection(NoiseSource.Tool, "Failure", "x", 0, "")));
    }

    [Theory]
    [InlineData("tooluse", true, true)]
    [InlineData("searchqa", true, false)]
    [InlineData("longcontext", false, true)]
    public async Task Can_inject_tells_whether_a_suite_has_tools_or_a_user_to_perturb(string name, bool tools, bool user)
    {
        var suite = Agentic.Training.Tasks.TaskSuites.Create(name, Agentic.Training.Tasks.SuiteScale.Small);
        var wrapped = NoisyEnvironment.ForLevel(suite.CreateEnvironment(), NoiseLevel.High, 5);
        Assert.Equal(tools, wrapped.HasToolNoise);
        Assert.Equal(user, wrapped.HasUserNoise);
        Assert.Equal(tools || user, wrapped.CanInject);
        Assert.False(new NoisyEnvironment(suite.CreateEnvironment(), null, null).CanInject);

        // Where nothing can be injected (no noise given), the wrapped run is the clean run, episode for episode.
        var tasks = suite.HeldOut(6);
        var loop = new AgentLoop(suite.CreateExpert(), new AgentLoopOptions { MaxTurns = 12 });
        var clean = await loop.RunAsync(tasks.Select((t, i) => new AgentEpisode(suite.CreateEnvironment(), t, (ulong)i)).ToArray());
        var wrappedRun = await loop.RunAsync(tasks.Select((t, i) => new AgentEpisode(new NoisyEnvironment(suite.CreateEnvironment(), null, null), t, (ulong)i)).ToArray());
        Assert.Equal(clean.Select(r => string.Join("|", r.Messages.Select(m => m.Text))), wrappedRun.Select(r => string.Join("|", r.Messages.Select(m => m.Text))));
        Assert.All(wrappedRun, r => Assert.DoesNotContain(r.Events, e => e.Kind.StartsWith("noise:", StringComparison.Ordinal)));
    }
}
