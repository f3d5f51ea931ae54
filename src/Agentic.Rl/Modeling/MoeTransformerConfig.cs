using System.Text.Json;
using System.Text.Json.Serialization;

namespace Agentic.Rl.Modeling;

/// <summary>
/// Configuration of the decoder-only Mixture-of-Experts transformer policy. Serialized as JSON with the usual
/// Hugging Face style names (<c>vocab_size</c>, <c>hidden_size</c>, <c>num_experts</c>, ...).
/// </summary>
/// <remarks>
/// The feed-forward block follows LongCat-Flash: a router picks <see cref="NumExpertsPerToken"/> of
/// <see cref="NumExperts"/> routed SwiGLU experts plus <see cref="NumZeroExperts"/> zero-computation (identity)
/// experts, so compute per token varies; an optional shared expert is always on; load is balanced by a router bias
/// that is adjusted after each optimizer step (no auxiliary loss needed, though one can be enabled).
/// </remarks>
public sealed record MoeTransformerConfig
{
    /// <summary>Number of token ids the embedding and the lm_head cover.</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 288;

    /// <summary>Width of the residual stream.</summary>
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 128;

    /// <summary>Number of decoder blocks.</summary>
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 4;

    /// <summary>Number of query heads.</summary>
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 4;

    /// <summary>Number of key/value heads (grouped-query attention); equal to the query heads by default.</summary>
    [JsonPropertyName("num_key_value_heads")] public int NumKeyValueHeads { get; init; } = 4;

    /// <summary>Hidden width of each routed expert's SwiGLU.</summary>
    [JsonPropertyName("moe_intermediate_size")] public int MoeIntermediateSize { get; init; } = 128;

    /// <summary>Hidden width of the shared expert's SwiGLU (used when <see cref="NumSharedExperts"/> is 1).</summary>
    [JsonPropertyName("shared_intermediate_size")] public int SharedIntermediateSize { get; init; } = 128;

    /// <summary>Number of routed feed-forward experts (N).</summary>
    [JsonPropertyName("num_experts")] public int NumExperts { get; init; } = 4;

    /// <summary>Number of experts each token is routed to (top-k over routed and zero experts).</summary>
    [JsonPropertyName("num_experts_per_tok")] public int NumExpertsPerToken { get; init; } = 2;

    /// <summary>Number of zero-computation (identity) experts (Z).</summary>
    [JsonPropertyName("num_zero_experts")] public int NumZeroExperts { get; init; } = 2;

    /// <summary>Number of always-on shared experts (0 or 1).</summary>
    [JsonPropertyName("num_shared_experts")] public int NumSharedExperts { get; init; } = 1;

    /// <summary>Whether the top-k routing weights are renormalised to sum to one.</summary>
    [JsonPropertyName("norm_topk_prob")] public bool NormTopKProb { get; init; } = true;

    /// <summary>Scale applied to the routed (and zero-expert) output.</summary>
    [JsonPropertyName("routed_scaling_factor")] public float RoutedScalingFactor { get; init; } = 1f;

    /// <summary>
    /// Step size of the auxiliary-loss-free router-bias controller: after each update the bias of an under-loaded
    /// expert rises by this amount and that of an over-loaded one falls. 0 disables it.
    /// </summary>
    [JsonPropertyName("router_bias_update_rate")] public float RouterBiasUpdateRate { get; init; } = 1e-3f;

    /// <summary>Coefficient of the optional Switch-style load-balancing auxiliary loss (0 = off).</summary>
    [JsonPropertyName("router_aux_loss_coef")] public float RouterAuxLossCoef { get; init; }

    /// <summary>Longest sequence the rotary tables cover.</summary>
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 512;

    /// <summary>
    /// Adds a second embedding of each position's previous token to the input (a token-shift prior, like RWKV's token
    /// shift or the "smeared keys" of Olsson et al.'s induction-head study), so the first attention layer can already
    /// match "the token before" and copy what followed it: induction in one layer instead of two composed ones. A
    /// policy trained from scratch for minutes learns to copy names and numbers from its context with it and mostly
    /// does not without it. The table has one extra row (index <see cref="VocabSize"/>) for "no previous token".
    /// </summary>
    [JsonPropertyName("previous_token_embedding")] public bool PreviousTokenEmbedding { get; init; }

    /// <summary>
    /// How many preceding tokens each position embeds when <see cref="PreviousTokenEmbedding"/> is on: 1 embeds the
    /// token before (<c>embed_previous</c>), 2 also the one before that (<c>embed_earlier.0</c>), and so on. With two, an
    /// attention head can match the last two tokens instead of one, so copying a number such as <c>558102</c> no longer
    /// stalls at a digit that occurs twice (after the first <c>5</c>, one token of context cannot tell which <c>5</c>
    /// it is at). A config file without the <c>previous_token_window</c> key reads as 1.
    /// </summary>
    [JsonPropertyName("previous_token_window")] public int PreviousTokenWindow { get; init; } = 1;

    /// <summary>
    /// Gives every attention head a learned sink logit (as gpt-oss does; "off-by-one" softmax): the softmax runs over the
    /// scores and the sink, and the sink's share goes nowhere, so a head can attend to nothing when no position matches
    /// its query instead of spreading over the closest partial matches. The parameter is
    /// <c>layers.N.self_attn.sinks</c> [heads], starting at 0. A config file without the <c>attention_sinks</c> key
    /// reads as false.
    /// </summary>
    [JsonPropertyName("attention_sinks")] public bool AttentionSinks { get; init; }

    /// <summary>Base of the rotary position embedding frequencies.</summary>
    [JsonPropertyName("rope_theta")] public float RopeTheta { get; init; } = 10000f;

    /// <summary>Epsilon of RMSNorm.</summary>
    [JsonPropertyName("rms_norm_eps")] public float RmsNormEps { get; init; } = 1e-5f;

    /// <summary>Standard deviation of the normal weight initialisation.</summary>
    [JsonPropertyName("initializer_range")] public float InitializerRange { get; init; } = 0.02f;

    /// <summary>Always false: the lm_head is a separate matrix (the gradient gate watches its gradient).</summary>
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings => false;

    /// <summary>Architecture tag written to the JSON file.</summary>
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "agentic_moe";

    /// <summary>Width of one attention head.</summary>
    [JsonIgnore] public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>Total number of routable experts (routed plus zero-computation).</summary>
    [JsonIgnore] public int NumRoutableExperts => NumExperts + NumZeroExperts;

    /// <summary>
    /// The built-in default: a small MoE fit for CPU training with the byte-level tokenizer, with the previous-token
    /// embedding (a config file without the <c>previous_token_embedding</c> key reads as false, so older checkpoints
    /// load as they were trained).
    /// </summary>
    public static MoeTransformerConfig Default { get; } = new() { PreviousTokenEmbedding = true };

    /// <summary>Checks the configuration and throws <see cref="ArgumentException"/> naming the bad field.</summary>
    public void Validate()
    {
        static void Require(bool ok, string name, string why)
        {
            if (!ok) throw new ArgumentException($"Invalid model config: {name} {why}.", name);
        }
        Require(VocabSize > 0, "vocab_size", "must be positive");
        Require(HiddenSize > 0, "hidden_size", "must be positive");
        Require(NumHiddenLayers > 0, "num_hidden_layers", "must be positive");
        Require(NumAttentionHeads > 0 && HiddenSize % NumAttentionHeads == 0, "num_attention_heads", "must divide hidden_size");
        Require(HeadDim % 2 == 0, "num_attention_heads", "must leave an even head dimension for rotary embeddings");
        Require(NumKeyValueHeads > 0 && NumAttentionHeads % NumKeyValueHeads == 0, "num_key_value_heads", "must divide num_attention_heads");
        Require(PreviousTokenWindow is >= 1 and <= 8, "previous_token_window", "must be between 1 and 8");
        Require(NumExperts >= 1, "num_experts", "must be at least 1");
        Require(NumZeroExperts >= 0, "num_zero_experts", "must not be negative");
        Require(NumExpertsPerToken >= 1 && NumExpertsPerToken <= NumRoutableExperts, "num_experts_per_tok", "must be in [1, num_experts + num_zero_experts]");
        Require(NumSharedExperts is 0 or 1, "num_shared_experts", "must be 0 or 1");
        Require(MoeIntermediateSize > 0, "moe_intermediate_size", "must be positive");
        Require(NumSharedExperts == 0 || SharedIntermediateSize > 0, "shared_intermediate_size", "must be positive");
        Require(MaxPositionEmbeddings > 0, "max_position_embeddings", "must be positive");
        Require(RopeTheta > 0, "rope_theta", "must be positive");
        Require(RmsNormEps > 0, "rms_norm_eps", "must be positive");
        Require(RouterBiasUpdateRate >= 0, "router_bias_update_rate", "must not be negative");
        Require(RouterAuxLossCoef >= 0, "router_aux_loss_coef", "must not be negative");
    }

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    /// <summary>Serializes the configuration to JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, s_json);

    /// <summary>Parses and validates a configuration.</summary>
    /// <exception cref="FormatException">The JSON is malformed.</exception>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public static MoeTransformerConfig FromJson(string json)
    {
        MoeTransformerConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<MoeTransformerConfig>(json, s_json);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Model config is not valid JSON: {ex.Message}", ex);
        }
        if (config is null) throw new FormatException("Model config is empty.");
        config.Validate();
        return config;
    }
}
