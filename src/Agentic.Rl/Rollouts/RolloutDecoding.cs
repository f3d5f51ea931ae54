using Agentic.Core.Generation;
using Agentic.Core.Inference;
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

        // An export of the current weights; the session keeps the graph in memory, so the file goes right away.
        var folder = Path.Combine(Path.GetTempPath(), "agentic-rollout-" + Guid.NewGuid().ToString("N"));
        try
        {
            var path = Path.Combine(folder, OnnxPolicySession.DefaultModelFileName);
            OnnxPolicyExporter.Export(model, path);
            var session = new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = path, PadTokenId = tokenizer.EndOfTextId });
            return new RolloutDecoding(session, session);
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A temporary file left behind is harmless.
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _owned?.Dispose();
}
