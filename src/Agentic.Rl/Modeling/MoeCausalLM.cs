using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Agentic.Rl.Modeling;

/// <summary>Inputs of one forward pass of <see cref="MoeCausalLM"/>.</summary>
/// <param name="InputIds">Token ids [B, T] (int64).</param>
/// <param name="AttentionMask">
/// Optional validity mask [B, S] over all positions seen so far including the cache (S = cached + T; 1 = real token,
/// 0 = padding). Null means every position is real and the sequence starts at position 0 of the cache.
/// </param>
/// <param name="PositionIds">Optional positions [B, T]; derived from the mask (or the cache length) when null.</param>
/// <param name="Cache">Optional KV cache to read and extend.</param>
public sealed record CausalLMInput(Tensor InputIds, Tensor? AttentionMask = null, Tensor? PositionIds = null, KvCache? Cache = null)
{
    /// <summary>
    /// Compute the logits of the last position only ([B, 1, V]), as decoding needs after a prefill: the language-model
    /// head then runs on one position per row instead of T. Default false.
    /// </summary>
    public bool LastPositionLogitsOnly { get; init; }
}

/// <summary>Outputs of one forward pass of <see cref="MoeCausalLM"/>.</summary>
/// <param name="Logits">Next-token logits [B, T, V] (float32), or [B, 1, V] with <see cref="CausalLMInput.LastPositionLogitsOnly"/>.</param>
/// <param name="AuxiliaryLoss">The summed router auxiliary loss in training when enabled, else null.</param>
public sealed record CausalLMOutput(Tensor Logits, Tensor? AuxiliaryLoss);

/// <summary>
/// The policy model: a decoder-only transformer with RMSNorm, rotary position embeddings, causal attention with a KV
/// cache, LongCat-style Mixture-of-Experts feed-forward blocks and an untied <c>lm_head</c>.
/// </summary>
/// <remarks>
/// Parameter names follow the Hugging Face convention (<c>embed_tokens.weight</c>,
/// <c>layers.0.self_attn.q_proj.weight</c>, <c>layers.0.mlp.experts.0.gate_proj.weight</c>, <c>lm_head.weight</c>),
/// so the safetensors weights read naturally in the Python ecosystem.
/// </remarks>
public sealed class MoeCausalLM : nn.Module<CausalLMInput, CausalLMOutput>
{
    private readonly Embedding embed_tokens;
    private readonly Embedding? embed_previous;
    private readonly ModuleList<Embedding>? embed_earlier;
    private readonly ModuleList<DecoderBlock> layers;
    private readonly RmsNorm norm;
    private readonly Linear lm_head;
    private readonly RotaryEmbedding _rope;

    /// <summary>Creates a freshly initialised model; the seed makes the initialisation reproducible.</summary>
    public MoeCausalLM(MoeTransformerConfig config, long seed = 0) : base(nameof(MoeCausalLM))
    {
        config.Validate();
        Config = config;
        using var generator = new Generator(unchecked((ulong)seed));
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize);
        // One extra row (index VocabSize) stands for "no previous token": the first position and positions after padding.
        if (config.PreviousTokenEmbedding)
        {
            embed_previous = nn.Embedding(config.VocabSize + 1, config.HiddenSize);
            // Tokens two or more positions back (distance 2 is embed_earlier.0), with the same "none" row.
            if (config.PreviousTokenWindow > 1)
                embed_earlier = nn.ModuleList(Enumerable.Range(0, config.PreviousTokenWindow - 1).Select(_ => nn.Embedding(config.VocabSize + 1, config.HiddenSize)).ToArray());
        }
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new DecoderBlock(config, i)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        _rope = new RotaryEmbedding(config.HeadDim, config.MaxPositionEmbeddings, config.RopeTheta);
        RegisterComponents();
        Initialize(generator);
    }

    /// <summary>The model's configuration.</summary>
    public MoeTransformerConfig Config { get; }

    /// <summary>The untied output projection (the gradient gate watches its gradient).</summary>
    public Linear LmHead => lm_head;

    /// <summary>The Mixture-of-Experts block of each layer, in order.</summary>
    public IReadOnlyList<MoeFeedForward> MoeLayers => layers.Select(l => l.Moe).ToArray();

    private void Initialize(Generator generator)
    {
        using var _ = no_grad();
        var std = Config.InitializerRange;
        // Residual-output projections get the GPT-2 style 1/sqrt(2L) scaling.
        var residualStd = std / Math.Sqrt(2.0 * Config.NumHiddenLayers);
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal) || name.EndsWith("layernorm.weight", StringComparison.Ordinal))
            {
                p.fill_(1);
            }
            else if (name.EndsWith(".sinks", StringComparison.Ordinal))
            {
                p.zero_(); // a sink starts as one more position with score 0
            }
            else if (name.EndsWith("o_proj.weight", StringComparison.Ordinal) || name.EndsWith("down_proj.weight", StringComparison.Ordinal))
            {
                p.normal_(0, residualStd, generator);
            }
            else
            {
                p.normal_(0, std, generator);
            }
        }
    }

    /// <inheritdoc />
    public override CausalLMOutput forward(CausalLMInput input)
    {
        var ids = input.InputIds;
        var b = ids.shape[0];
        var t = ids.shape[1];
        var past = input.Cache?.Length ?? 0;
        if (past + t > Config.MaxPositionEmbeddings)
        {
            throw new ArgumentException($"Sequence of {past + t} positions exceeds max_position_embeddings ({Config.MaxPositionEmbeddings}).");
        }

        Tensor positions;
        Tensor? mask = null;
        if (input.AttentionMask is { } attention)
        {
            if (attention.shape[1] != past + t)
                throw new ArgumentException($"AttentionMask covers {attention.shape[1]} positions; expected cached + new = {past + t}.");
            var valid = attention.to(@bool);
            positions = input.PositionIds ?? valid.to(int64).cumsum(1).add(Scalars.MinusOne, Scalars.One).clamp_min(Scalars.Zero)[.., (int)past..];
            // allowed[b, i, j] = key j is real and j <= query i (absolute), or j == i (so padding rows are never empty).
            var queryPos = arange(past, past + t, dtype: int64).unsqueeze(1);
            var keyPos = arange(past + t, dtype: int64).unsqueeze(0);
            var causal = keyPos.le(queryPos).unsqueeze(0);
            var diagonal = keyPos.eq(queryPos).unsqueeze(0);
            var allowed = (causal & valid.unsqueeze(1)) | diagonal;
            mask = zeros(allowed.shape, dtype: float32).masked_fill(allowed.logical_not(), Scalars.NegativeInfinity).unsqueeze(1);
        }
        else
        {
            positions = input.PositionIds ?? arange(past, past + t, dtype: int64).unsqueeze(0).expand(b, t);
            if (past > 0 && t > 1)
            {
                var queryPos = arange(past, past + t, dtype: int64).unsqueeze(1);
                var keyPos = arange(past + t, dtype: int64).unsqueeze(0);
                mask = zeros(t, past + t, dtype: float32).masked_fill(keyPos.gt(queryPos), Scalars.NegativeInfinity).unsqueeze(0).unsqueeze(0);
            }
            else if (past > 0)
            {
                mask = zeros(1, 1, 1, past + t, dtype: float32); // one new token sees everything cached
            }
        }

        var (cos, sin) = _rope.Lookup(positions);
        var h = embed_tokens.forward(ids);
        if (embed_previous is not null)
        {
            var history = History(ids, input.Cache, past);
            h = h.Plus(embed_previous.forward(PreviousIds(history, 1, t, input.AttentionMask, past)));
            if (embed_earlier is not null)
            {
                for (int d = 2; d <= Config.PreviousTokenWindow; d++)
                    h = h.Plus(embed_earlier[d - 2].forward(PreviousIds(history, d, t, input.AttentionMask, past)));
            }
            input.Cache?.SetLastTokens(history[.., ^Config.PreviousTokenWindow..]);
        }
        Tensor? aux = null;
        foreach (var layer in layers)
        {
            h = layer.forward(h, cos, sin, mask, input.Cache);
            if (layer.Moe.AuxiliaryLoss is { } a) aux = aux is null ? a : aux.Plus(a);
        }
        if (input.LastPositionLogitsOnly && t > 1) h = h[.., ^1.., ..];
        var logits = lm_head.forward(norm.forward(h));
        return new CausalLMOutput(logits, aux);
    }

    /// <summary>
    /// The last <see cref="MoeTransformerConfig.PreviousTokenWindow"/> tokens before the new positions (from the cache,
    /// or "none" before the first position) followed by the new ids: [B, W + T].
    /// </summary>
    private Tensor History(Tensor ids, KvCache? cache, long past)
    {
        int window = Config.PreviousTokenWindow;
        Tensor before;
        if (past == 0)
        {
            using Scalar none = Config.VocabSize;
            before = full(ids.shape[0], window, none, dtype: int64);
        }
        else
        {
            before = cache?.LastTokens ?? throw new InvalidOperationException("The KV cache holds no last tokens: it was filled by a model without the previous-token embedding.");
            if (before.shape[1] != window)
                throw new InvalidOperationException($"The KV cache holds {before.shape[1]} last tokens per row; this model embeds {window}.");
        }
        return cat([before, ids], 1);
    }

    /// <summary>
    /// The token <paramref name="distance"/> positions before each new position [B, T], or
    /// <see cref="MoeTransformerConfig.VocabSize"/> ("none") where that position is before the sequence's start or is
    /// padding (positions before the start are "none" in the history already; padding is read from the mask).
    /// </summary>
    private Tensor PreviousIds(Tensor history, int distance, long t, Tensor? attentionMask, long past)
    {
        using Scalar none = Config.VocabSize;
        int window = Config.PreviousTokenWindow;
        var b = history.shape[0];
        var previous = history.narrow(1, window - distance, t);
        // Absolute position of each new position's predecessor: past + j - distance.
        if (attentionMask is not null)
        {
            // The mask covers absolute positions [0, past + t); positions before 0 count as invalid.
            var valid = cat([zeros(b, window, dtype: @bool), attentionMask.to(@bool)], 1);
            var before = valid.narrow(1, past + window - distance, t);
            previous = previous.masked_fill(before.logical_not(), none);
        }
        return previous;
    }

    /// <summary>Applies the auxiliary-loss-free bias update to every MoE layer (call after each optimizer step).</summary>
    public void UpdateRouterBias()
    {
        foreach (var layer in layers) layer.Moe.UpdateRouterBias();
    }

    /// <summary>Forgets the expert load counted in training since the last bias update, leaving the router bias where it is.</summary>
    public void DiscardPendingRouterLoad()
    {
        foreach (var layer in layers) layer.Moe.DiscardPendingLoad();
    }

    /// <summary>Routing statistics accumulated since the last <see cref="ResetRoutingStatistics"/>.</summary>
    public RoutingStatistics GetRoutingStatistics() =>
        new(Config.NumExperts, Config.NumZeroExperts, layers.Select(l => l.Moe.TokensPerExpert).ToArray());

    /// <summary>Clears the routing counters of every layer.</summary>
    public void ResetRoutingStatistics()
    {
        foreach (var layer in layers) layer.Moe.ResetRoutingStatistics();
    }

    /// <summary>Number of trainable parameters.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _rope.Dispose();
        base.Dispose(disposing);
    }
}
