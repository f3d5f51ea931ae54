using Agentic.Core.Generation;
using Agentic.Core.Tokenization;
using Agentic.Rl.Export;
using Agentic.Rl.Generation;
using Agentic.Rl.Modeling;

namespace Agentic.Rl.Rollouts;

/// <summary>The token generator of one rollout batch, on the engine <see cref="AgentRlOptions.Decoder"/> names.</summary>
internal sealed class RolloutDecoding : IDisposable
{
    private readonly IDisposable? _owned;

    private RolloutDecoding(ITokenGenerator generator, IDisposable? owned)
    {
        Generator = generator;
        _owned = owned;
    }

    /// <summary>The generator over the model's current weights.</summary>
    public ITokenGenerator Generator { get; }

    /// <summary>Opens a generator over <paramref name="model"/>'s current weights.</summary>
    public static RolloutDecoding Open(MoeCausalLM model, ByteLevelTokenizer tokenizer, RolloutDecoder decoder)
    {
        if (decoder == RolloutDecoder.TorchSharp) return new RolloutDecoding(new PolicyGenerator(model, tokenizer.EndOfTextId), null);

        var session = OnnxPolicyExporter.OpenSession(model, o => o.PadTokenId = tokenizer.EndOfTextId);
        return new RolloutDecoding(session, session);
    }

    /// <inheritdoc />
    public void Dispose() => _owned?.Dispose();
}
