using Agentic.Core.Inference;
using Agentic.Core.Tokenization;
using Agentic.Rl.Export;
using Agentic.Rl.Modeling;

namespace Agentic.Samples.LocalChat;

/// <summary>
/// A freshly initialised, <b>untrained</b> tiny MoE policy exported to ONNX, so the sample runs with no checkpoint and no
/// network. Its replies are noise: it exists to show the composition, not the model. Train a real policy with
/// <c>agentic sft</c> and export it with <c>agentic export-onnx</c> to get meaningful answers.
/// </summary>
public static class UntrainedPolicy
{
    /// <summary>The tiny configuration: one layer, 2 routed + 1 zero-computation experts, the byte-level vocabulary.</summary>
    /// <param name="tokenizer">The tokenizer whose vocabulary the model covers.</param>
    public static MoeTransformerConfig Config(ByteLevelTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return new MoeTransformerConfig
        {
            // Exactly the tokenizer's vocabulary (no rounding up): an untrained model must not sample ids the tokenizer cannot decode.
            VocabSize = tokenizer.VocabularySize,
            HiddenSize = 32,
            NumHiddenLayers = 1,
            NumAttentionHeads = 2,
            NumKeyValueHeads = 2,
            MoeIntermediateSize = 32,
            SharedIntermediateSize = 32,
            NumExperts = 2,
            NumExpertsPerToken = 2,
            NumZeroExperts = 1,
            MaxPositionEmbeddings = 1024,
        };
    }

    /// <summary>Initialises the tiny policy with <paramref name="seed"/> and exports it as <c>FOLDER/model.onnx</c> (with its tokenizer).</summary>
    /// <param name="folder">The folder to write into (created if missing).</param>
    /// <param name="seed">The initialisation seed.</param>
    /// <returns>The path of the written model file.</returns>
    /// <exception cref="ArgumentException"><paramref name="folder"/> is null or empty.</exception>
    public static string Export(string folder, long seed = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var tokenizer = ByteLevelTokenizer.CreateDefault();
        var path = Path.Combine(folder, OnnxPolicySession.DefaultModelFileName);
        using var model = new MoeCausalLM(Config(tokenizer), seed);
        OnnxPolicyExporter.Export(model, path, new OnnxExportOptions
        {
            Tokenizer = tokenizer,
            Metadata = new Dictionary<string, string> { ["note"] = "untrained: freshly initialised by Agentic.Samples.LocalChat" },
        });
        return path;
    }
}
