using Agentic.Rl.Modeling;

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
}
