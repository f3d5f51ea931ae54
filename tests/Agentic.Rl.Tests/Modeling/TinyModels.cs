using Agentic.Rl.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Agentic.Rl.Tests.Modeling;

internal static class TinyModels
{
    public static MoeTransformerConfig Config(int vocab = 64) => new()
    {
        VocabSize = vocab,
        HiddenSize = 32,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        MoeIntermediateSize = 32,
        SharedIntermediateSize = 32,
        NumExperts = 4,
        NumExpertsPerToken = 2,
        NumZeroExperts = 2,
        MaxPositionEmbeddings = 128,
        InitializerRange = 0.2f,
    };

    /// <summary>The attention sink logits of <paramref name="model"/> (<c>layers.N.self_attn.sinks</c>), none without sinks.</summary>
    public static IEnumerable<(string Name, TorchSharp.Modules.Parameter Parameter)> Sinks(MoeCausalLM model) =>
        model.named_parameters().Where(p => p.name.EndsWith(".sinks", StringComparison.Ordinal));

    /// <summary>
    /// Sets the sinks to random logits of either sign and of the scores' size (they start at zero), so that they take a
    /// real share of each attention row. Returns <paramref name="model"/>.
    /// </summary>
    public static MoeCausalLM RandomizeSinks(MoeCausalLM model, Generator generator)
    {
        using var _ = no_grad();
        foreach (var (_, p) in Sinks(model)) p.copy_(randn(p.shape, generator: generator) * 2);
        return model;
    }
}
