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
        var attn = mask is null
            ? nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true)
            : nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask);
        return o_proj.forward(attn.transpose(1, 2).reshape(b, t, _heads * _headDim));
    }
}
