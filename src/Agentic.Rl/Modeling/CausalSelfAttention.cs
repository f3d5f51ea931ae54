using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Agentic.Rl.Modeling;

/// <summary>Multi-head causal self-attention with rotary embeddings, grouped-query heads and an optional KV cache.</summary>
public sealed class CausalSelfAttention : nn.Module
{
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear o_proj;
    private readonly Parameter? sinks;
    private readonly int _heads;
    private readonly int _kvHeads;
    private readonly int _headDim;
    private readonly int _layer;

    /// <summary>Creates the attention block of layer <paramref name="layer"/>.</summary>
    public CausalSelfAttention(MoeTransformerConfig config, int layer) : base(nameof(CausalSelfAttention))
    {
        _heads = config.NumAttentionHeads;
        _kvHeads = config.NumKeyValueHeads;
        _headDim = config.HeadDim;
        _layer = layer;
        q_proj = nn.Linear(config.HiddenSize, _heads * _headDim, hasBias: false);
        k_proj = nn.Linear(config.HiddenSize, _kvHeads * _headDim, hasBias: false);
        v_proj = nn.Linear(config.HiddenSize, _kvHeads * _headDim, hasBias: false);
        o_proj = nn.Linear(_heads * _headDim, config.HiddenSize, hasBias: false);
        if (config.AttentionSinks) sinks = nn.Parameter(zeros(_heads));
        RegisterComponents();
    }

    /// <summary>
    /// Attends <paramref name="x"/> [B, T, H]. <paramref name="mask"/> is an additive float mask [B, 1, T, S] or null
    /// for a plain causal mask over the T positions (no cache, no padding before real tokens).
    /// </summary>
    public Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache)
    {
        var b = x.shape[0];
        var t = x.shape[1];
        var q = q_proj.forward(x).view(b, t, _heads, _headDim).transpose(1, 2);
        var k = k_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);
        var v = v_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);
        if (cache is not null)
        {
            (k, v) = cache.Append(_layer, k, v);
        }
        if (_kvHeads != _heads)
        {
            var rep = _heads / _kvHeads;
            k = k.repeat_interleave(rep, dim: 1);
            v = v.repeat_interleave(rep, dim: 1);
        }
        var attn = sinks is not null ? AttendWithSinks(q, k, v, mask, sinks)
            : mask is null
            ? nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true)
            : nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask);
        return o_proj.forward(attn.transpose(1, 2).reshape(b, t, _heads * _headDim));
    }

    /// <summary>
    /// Softmax attention with one extra logit per head (the sink) in every row: q, k, v [B, H, T|S, D], mask as in
    /// <see cref="forward"/> (null: plain causal, T = S). Still one fused
    /// scaled-dot-product call: the heads get one more feature, 1 on every query and 0 on every key, and a sink key is
    /// prepended whose feature is the sink's logit (its value is zero), so each query scores the sink at exactly the
    /// logit. The queries are rescaled so that the real scores keep the 1/sqrt(D) scale. The values are widened too
    /// (with a zero feature, dropped from the output): with unequal query and value widths the CPU kernel falls back
    /// to unfused attention, several times slower.
    /// </summary>
    private Tensor AttendWithSinks(Tensor q, Tensor k, Tensor v, Tensor? mask, Tensor sink)
    {
        long b = q.shape[0], t = q.shape[2], s = k.shape[2];
        double widened = _headDim + 1;
        var query = cat([q.mul(Math.Sqrt(widened / _headDim)), ones(b, _heads, t, 1, q.dtype, q.device)], -1);
        var sinkKey = cat([zeros(_heads, _headDim, q.dtype, q.device), sink.mul(Math.Sqrt(widened)).view(_heads, 1)], -1)
            .view(1, _heads, 1, _headDim + 1).expand(b, _heads, 1, _headDim + 1);
        // One zero feature for every key and value, and one zero row for the sink's value (and the blank query below).
        var feature = zeros(b, _heads, s, 1, k.dtype, k.device);
        var row = zeros(b, _heads, 1, _headDim + 1, q.dtype, q.device);
        var key = cat([sinkKey, cat([k, feature], -1)], 2);
        var value = cat([row, cat([v, feature], -1)], 2);
        if (mask is null)
        {
            // The top-left causal mask lets query i see keys 0..i; with a blank query in front, query i + 1 sees the
            // sink and the real keys 0..i, which is the causal mask with the sink. The blank query's row is dropped.
            query = cat([row, query], 2);
            return nn.functional.scaled_dot_product_attention(query, key, value, is_casual: true).narrow(2, 1, t).narrow(-1, 0, _headDim);
        }
        var shape = mask.shape.ToArray();
        shape[^1] = 1;
        var additive = cat([zeros(shape, mask.dtype, mask.device), mask], -1); // the sink is always in view
        return nn.functional.scaled_dot_product_attention(query, key, value, attn_mask: additive).narrow(-1, 0, _headDim);
    }
}
