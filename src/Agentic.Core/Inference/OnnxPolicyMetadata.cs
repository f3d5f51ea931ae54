namespace Agentic.Core.Inference;

/// <summary>
/// The <c>metadata_props</c> keys an exported policy graph carries, so that <see cref="OnnxPolicySession"/> can run
/// a single <c>.onnx</c> file without the training stack: the shapes of the KV cache, the vocabulary, the context
/// length, and the model config and tokenizer as JSON.
/// </summary>
public static class OnnxPolicyMetadata
{
    /// <summary>Format tag; its value is <see cref="FormatValue"/>.</summary>
    public const string Format = "agentic.format";

    /// <summary>The value of <see cref="Format"/> written by the current exporter.</summary>
    public const string FormatValue = "agentic-moe-causal-lm/1";

    /// <summary>Number of decoder layers (one <c>past_key_values.{i}.key|value</c> pair each).</summary>
    public const string NumLayers = "agentic.num_hidden_layers";

    /// <summary>Number of key/value heads of the cache tensors.</summary>
    public const string NumKeyValueHeads = "agentic.num_key_value_heads";

    /// <summary>Width of one attention head.</summary>
    public const string HeadDim = "agentic.head_dim";

    /// <summary>Vocabulary size (last dimension of <c>logits</c>).</summary>
    public const string VocabSize = "agentic.vocab_size";

    /// <summary>Longest sequence (prompt plus generated tokens) the rotary tables cover.</summary>
    public const string MaxPositions = "agentic.max_position_embeddings";

    /// <summary>The model config as JSON (the checkpoint's <c>config.json</c>).</summary>
    public const string ConfigJson = "agentic.config_json";

    /// <summary>The tokenizer as JSON (the checkpoint's <c>tokenizer.json</c>), when the exporter was given one.</summary>
    public const string TokenizerJson = "agentic.tokenizer_json";
}
