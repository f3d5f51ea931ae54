using TorchSharp;
using static TorchSharp.torch;

namespace Agentic.Rl.Modeling;

/// <summary>A pre-norm decoder block: <c>x + attn(norm(x))</c>, then <c>x + moe(norm(x))</c>.</summary>
public sealed class DecoderBlock : nn.Module
{
    private readonly RmsNorm input_layernorm;
    private readonly CausalSelfAttention self_attn;
    private readonly RmsNorm post_attention_layernorm;
    private readonly MoeFeedForward mlp;

    /// <summary>Creates block number <paramref name="layer"/>.</summary>
    public DecoderBlock(MoeTransformerConfig config, int layer) : base(nameof(DecoderBlock))
    {
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        self_attn = new CausalSelfAttention(config, layer);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        mlp = new MoeFeedForward(config);
        RegisterComponents();
    }

    /// <summary>The block's Mixture-of-Experts feed-forward.</summary>
    public MoeFeedForward Moe => mlp;

    /// <summary>Runs the block; see <see cref="CausalSelfAttention.forward"/> for the mask convention.</summary>
    public Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache)
    {
        var h = x.Plus(self_attn.forward(input_layernorm.forward(x), cos, sin, mask, cache));
        return h.Plus(mlp.forward(post_attention_layernorm.forward(h)));
    }
}
