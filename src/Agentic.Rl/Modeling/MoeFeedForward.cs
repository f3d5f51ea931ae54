using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Agentic.Rl.Modeling;

/// <summary>
/// LongCat-Flash style Mixture-of-Experts feed-forward: a softmax router over N routed SwiGLU experts and Z
/// zero-computation experts (which return their input unchanged, scaled by the routing weight), top-k selection on
/// the router scores plus a load-balancing bias, and an optional always-on shared expert.
/// </summary>
/// <remarks>
/// The bias only affects which experts are selected, never the weights (auxiliary-loss-free balancing as in
/// DeepSeek-V3 and LongCat-Flash). During training, <see cref="UpdateRouterBias"/> moves each expert's bias by
/// <see cref="MoeTransformerConfig.RouterBiasUpdateRate"/> toward a uniform load over all N + Z experts, from the
/// assignments counted since the previous update. Routing counts are also accumulated for observation
/// (<see cref="TokensPerExpert"/>).
/// </remarks>
public sealed class MoeFeedForward : nn.Module<Tensor, Tensor>
{
    private readonly Linear router;
    private readonly ModuleList<SwiGluExpert> experts;
    private readonly SwiGluExpert? shared_expert;
    private readonly Tensor router_bias;
    private readonly MoeTransformerConfig _config;
    private readonly RoutingCounters _counters;
    private Tensor? _auxLoss;

    /// <summary>Creates the MoE block.</summary>
    public MoeFeedForward(MoeTransformerConfig config) : base(nameof(MoeFeedForward))
    {
        _config = config;
        router = nn.Linear(config.HiddenSize, config.NumRoutableExperts, hasBias: false);
        experts = nn.ModuleList(Enumerable.Range(0, config.NumExperts)
            .Select(_ => new SwiGluExpert(config.HiddenSize, config.MoeIntermediateSize)).ToArray());
        if (config.NumSharedExperts > 0)
        {
            shared_expert = new SwiGluExpert(config.HiddenSize, config.SharedIntermediateSize);
        }
        router_bias = zeros(config.NumRoutableExperts);
        _counters = new RoutingCounters(config.NumRoutableExperts);
        // The bias field becomes a persistent buffer (saved with the weights); the counters are not module state.
        RegisterComponents();
    }

    /// <summary>The router's load-balancing bias (one entry per routed then zero expert).</summary>
    public Tensor RouterBias => router_bias;

    /// <summary>Routing assignments per expert (routed experts first, then zero experts) since the last reset.</summary>
    public long[] TokensPerExpert => _counters.Total.data<long>().ToArray();

    /// <summary>
    /// The auxiliary load-balancing loss of the last training forward pass (owned by that pass's dispose scope), or
    /// null when disabled.
    /// </summary>
    internal Tensor? AuxiliaryLoss => _auxLoss;

    /// <summary>Clears the observed routing counts.</summary>
    public void ResetRoutingStatistics() => _counters.Total.zero_();

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        _auxLoss = null;
        var shape = x.shape;
        var flat = x.reshape(-1, shape[^1]);
        var n = _config.NumExperts;
        var k = _config.NumExpertsPerToken;

        var scores = router.forward(flat).softmax(-1);
        Tensor topIdx;
        using (no_grad())
        {
            topIdx = scores.Plus(router_bias).topk(k, dim: -1).indexes;
            var counts = topIdx.flatten().bincount(null, _config.NumRoutableExperts);
            _counters.Total.add_(counts);
            if (training) _counters.SinceUpdate.add_(counts);
        }
        var topW = scores.gather(1, topIdx);
        if (_config.NormTopKProb) topW = topW / topW.sum(-1, keepdim: true);
        if (_config.RoutedScalingFactor != 1f) topW = topW.Times(_config.RoutedScalingFactor);

        Tensor output;
        if (_config.NumZeroExperts > 0)
        {
            // Zero-computation experts: identity scaled by their routing weight.
            var zeroWeight = (topW * topIdx.ge(n)).sum(-1, keepdim: true);
            output = flat * zeroWeight;
        }
        else
        {
            output = zeros_like(flat);
        }

        for (int e = 0; e < n; e++)
        {
            var hit = topIdx.eq(e);
            var tokens = hit.any(-1).nonzero().squeeze(-1);
            if (tokens.shape[0] == 0) continue;
            var weight = (topW * hit).sum(-1).index_select(0, tokens).unsqueeze(-1);
            var y = experts[e].forward(flat.index_select(0, tokens)) * weight;
            output = output.index_add(0, tokens, y, Scalars.One);
        }

        if (shared_expert is not null) output = output.Plus(shared_expert.forward(flat));

        if (training && _config.RouterAuxLossCoef > 0)
        {
            // Switch-style: E * sum_i f_i * P_i over all routable experts.
            var e = _config.NumRoutableExperts;
            var fraction = nn.functional.one_hot(topIdx, e).sum([0, 1]).to(scores.dtype) / (flat.shape[0] * (double)k);
            var meanProb = scores.mean([0]);
            _auxLoss = (fraction * meanProb).sum() * (e * (double)_config.RouterAuxLossCoef);
        }
        return output.reshape(shape);
    }

    /// <summary>
    /// Moves the router bias toward uniform load, from the assignments counted in training since the last call:
    /// <c>bias_i += rate * sign(mean_load - load_i)</c>.
    /// </summary>
    public void UpdateRouterBias()
    {
        if (_config.RouterBiasUpdateRate <= 0) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var load = _counters.SinceUpdate.to(float32);
        if (load.sum().item<float>() == 0) return;
        var delta = load.mean().Minus(load).sign().Times(_config.RouterBiasUpdateRate);
        router_bias.add_(delta);
        _counters.SinceUpdate.zero_();
    }

    /// <summary>Forgets the assignments counted since the last bias update without moving the bias.</summary>
    internal void DiscardPendingLoad() => _counters.SinceUpdate.zero_();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _counters.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>Routing counters kept outside the module's registered state.</summary>
    private sealed class RoutingCounters(int experts) : IDisposable
    {
        public Tensor SinceUpdate { get; } = zeros(experts, dtype: int64).DetachFromDisposeScope();
        public Tensor Total { get; } = zeros(experts, dtype: int64).DetachFromDisposeScope();

        public void Dispose()
        {
            SinceUpdate.Dispose();
            Total.Dispose();
        }
    }
}
