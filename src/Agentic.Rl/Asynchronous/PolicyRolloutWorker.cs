using Agentic.Core.Agents;
using Agentic.Core.Chat;
using Agentic.Core.Tokenization;
using Agentic.Rl.Modeling;
using Agentic.Rl.Rollouts;

namespace Agentic.Rl.Asynchronous;

/// <summary>
/// The built-in rollout worker: a private copy of the <see cref="MoeCausalLM"/> policy (same configuration), synced from
/// a <see cref="PolicyWeightStore"/>, running batched multi-turn episodes through the agent loop exactly as the
/// synchronous <see cref="AgentRlTrainer"/> does (same environments, noise and sampling).
/// </summary>
public sealed class PolicyRolloutWorker : RolloutWorker
{
    private readonly MoeCausalLM _model;
    private readonly ByteLevelTokenizer _tokenizer;
    private readonly ChatTemplate _template;
    private readonly IReadOnlyDictionary<string, ITaskSuite> _suites;
    private readonly AgentRlOptions _options;
    private int _version = -1;

    /// <summary>Creates a worker with a fresh policy of <paramref name="config"/> (its weights come from the first sync).</summary>
    /// <param name="config">The policy's configuration.</param>
    /// <param name="tokenizer">The policy's tokenizer.</param>
    /// <param name="template">The chat template.</param>
    /// <param name="suites">The suites requests name.</param>
    /// <param name="options">Rollout options (turns, tokens, temperature, tool timeout).</param>
    public PolicyRolloutWorker(MoeTransformerConfig config, ByteLevelTokenizer tokenizer, ChatTemplate template, IReadOnlyList<ITaskSuite> suites, AgentRlOptions options)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(suites);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _model = new MoeCausalLM(config);
        _model.eval();
        _tokenizer = tokenizer;
        _template = template;
        _suites = suites.ToDictionary(s => s.Suite, StringComparer.Ordinal);
        _options = options;
    }

    /// <inheritdoc />
    public override int PolicyVersion => _version;

    /// <inheritdoc />
    public override void SyncWeights(PolicyWeightStore weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        weights.TryLoad(_model, ref _version);
    }

    /// <inheritdoc />
    public override Task<IReadOnlyList<Trajectory>[]> GenerateAsync(IReadOnlyList<RolloutRequest> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (_version < 0) throw new InvalidOperationException("The worker has no weights yet; sync them first.");
        // One sampler stream per batch, from the requests' own seeds: the same batch regenerates the same rollouts.
        ulong seed = requests.Aggregate(0x9E3779B97F4A7C15UL, (h, r) => unchecked((h ^ r.SamplerSeed) * 0x100000001B3UL));
        return RolloutEngine.RunAsync(_model, _tokenizer, _template, _suites, _options, requests, seed, cancellationToken);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _model.Dispose();
        base.Dispose(disposing);
    }
}
