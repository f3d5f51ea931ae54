using System.Text.Json;
using Agentic.Core.Agents;
using Agentic.Core.Chat;
using Agentic.Core.Tokenization;
using Agentic.Rl.Advantages;
using Agentic.Rl.Asynchronous;
using Agentic.Rl.Checkpoints;
using Agentic.Rl.Modeling;
using Agentic.Rl.Rewards;
using Agentic.Rl.Rollouts;
using Agentic.Rl.Training;
using Agentic.Training.Noise;

namespace Agentic.Cli.Jobs;

/// <summary>The synchronous or the asynchronous trainer behind one face: step, state, resume.</summary>
internal sealed class RlLoop : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task<AgentRlStep>> _step;
    private readonly Func<int> _stepCount;
    private readonly Func<string> _state;
    private readonly Action<string, string> _restore;
    private readonly RolloutBackend? _backend;

    private RlLoop(Func<CancellationToken, Task<AgentRlStep>> step, Func<int> stepCount, Func<string> state, Action<string, string> restore, RolloutBackend? backend)
    {
        _step = step;
        _stepCount = stepCount;
        _state = state;
        _restore = restore;
        _backend = backend;
    }

    public int StepCount => _stepCount();

    /// <summary>The step a saved run state (synchronous or asynchronous) was taken at.</summary>
    public static int StepOf(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.TryGetProperty(nameof(AsyncAgentRlState.Run), out var run)) root = run;
        return root.TryGetProperty(nameof(AgentRlState.Step), out var step) ? step.GetInt32() : throw new CheckpointException("The RL run state has no step.");
    }

    public Task<AgentRlStep> StepAsync(CancellationToken cancellationToken) => _step(cancellationToken);

    public string State() => _state();

    public void Restore(string json, string checkpoint) => _restore(json, checkpoint);

    public static RlLoop Synchronous(AgentRlTrainer rl) => new(rl.StepAsync, () => rl.StepCount, () => JsonSerializer.Serialize(rl.GetState()),
        (json, checkpoint) =>
        {
            var state = JsonSerializer.Deserialize<AgentRlState>(json) ?? throw new CheckpointException($"Checkpoint '{checkpoint}' has an empty RL run state.");
            if (state.Random is null) throw new CheckpointException($"Checkpoint '{checkpoint}' was written by an asynchronous run; resume it with --async.");
            rl.SetState(state);
        }, null);

    public static RlLoop Asynchronous(MoeCausalLM model, ByteLevelTokenizer tokenizer, ChatTemplate template, IReadOnlyList<ITaskSuite> suites,
        Func<Trajectory, RewardBreakdown> reward, PolicyGradientTrainer trainer, AgentRlOptions options, AdvantageEstimator advantages, NoiseCurriculum? curriculum,
        SuiteScheduler? scheduler, int workers, int maxStaleness, int requestsPerBatch)
    {
        var backend = new InProcessRolloutBackend(_ => new PolicyRolloutWorker(model.Config, tokenizer, template, suites, options),
            new InProcessRolloutBackendOptions { Workers = workers, RequestsPerBatch = requestsPerBatch });
        var rl = new AsyncAgentRlTrainer(model, suites, reward, trainer, backend, options, new AsyncAgentRlOptions { MaxStaleness = maxStaleness },
            advantages, curriculum, scheduler);
        return new(rl.StepAsync, () => rl.StepCount, () => JsonSerializer.Serialize(rl.GetState()),
            (json, checkpoint) =>
            {
                var state = JsonSerializer.Deserialize<AsyncAgentRlState>(json) ?? throw new CheckpointException($"Checkpoint '{checkpoint}' has an empty RL run state.");
                if (state.Run is null) throw new CheckpointException($"Checkpoint '{checkpoint}' was written by a synchronous run; resume it without --async.");
                rl.SetState(state);
            }, backend);
    }

    public ValueTask DisposeAsync() => _backend?.DisposeAsync() ?? ValueTask.CompletedTask;
}
