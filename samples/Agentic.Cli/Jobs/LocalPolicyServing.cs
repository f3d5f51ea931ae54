using Agentic.Core.Chat;
using Agentic.Core.ChatCompletion;
using Agentic.Core.Generation;
using Agentic.Core.Inference;
using Agentic.Core.Sampling;
using Agentic.Core.Tokenization;
using Agentic.Rl.Checkpoints;
using Agentic.Rl.Export;
using Agentic.Rl.Generation;

namespace Agentic.Cli.Jobs;

/// <summary>
/// A checkpoint served as a <see cref="LocalPolicyChatClient"/>: over the TorchSharp <see cref="PolicyGenerator"/>, or
/// with <c>onnx</c> over an <see cref="OnnxPolicySession"/> (an exported <c>model.onnx</c> next to the checkpoint, or the
/// checkpoint exported on the fly into the session, see <see cref="OnnxPolicyExporter.OpenSession"/>).
/// </summary>
internal sealed class LocalPolicyServing : IDisposable
{
    private readonly IDisposable _engine;

    private LocalPolicyServing(ITokenGenerator generator, IDisposable engine, ByteLevelTokenizer tokenizer, string engineName, string? modelPath,
        LocalPolicyChatClientOptions? options)
    {
        Generator = generator;
        _engine = engine;
        Tokenizer = tokenizer;
        Template = new ChatTemplate(tokenizer);
        EngineName = engineName;
        ModelPath = modelPath;
        Client = new LocalPolicyChatClient(Generator, Template, tokenizer, options);
    }

    /// <summary>The token generator behind <see cref="Client"/>.</summary>
    public ITokenGenerator Generator { get; }

    /// <summary>The policy as a chat client.</summary>
    public LocalPolicyChatClient Client { get; }

    /// <summary>The policy's tokenizer.</summary>
    public ByteLevelTokenizer Tokenizer { get; }

    /// <summary>The chat template.</summary>
    public ChatTemplate Template { get; }

    /// <summary><c>torchsharp</c> or <c>onnxruntime</c>.</summary>
    public string EngineName { get; }

    /// <summary>The ONNX model file served (an export next to the checkpoint); null for TorchSharp or an export made on the fly.</summary>
    public string? ModelPath { get; }

    /// <summary>Whether the engine is safe for concurrent calls (ONNX Runtime is; the TorchSharp generator is not).</summary>
    public bool SupportsConcurrentCalls => _engine is OnnxPolicySession;

    /// <summary>Loads <paramref name="checkpoint"/> on the requested engine.</summary>
    public static LocalPolicyServing Open(string checkpoint, bool onnx, LocalPolicyChatClientOptions? options = null)
    {
        var folder = Path.GetFullPath(checkpoint.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        if (!onnx)
        {
            var loaded = PolicyCheckpoint.Load(folder);
            return new LocalPolicyServing(new PolicyGenerator(loaded.Model, loaded.Tokenizer.EndOfTextId), loaded.Model, loaded.Tokenizer, "torchsharp", null, options);
        }

        OnnxPolicySession session;
        var modelPath = FindExport(folder);
        if (modelPath is null)
        {
            // No export next to the checkpoint: the weights are exported into the session's memory, nothing on disk.
            var loaded = PolicyCheckpoint.Load(folder);
            using (loaded.Model)
            {
                session = OnnxPolicyExporter.OpenSession(loaded.Model, export: new OnnxExportOptions
                {
                    Tokenizer = loaded.Tokenizer,
                    Metadata = new Dictionary<string, string> { ["source_checkpoint"] = folder },
                });
            }
        }
        else
        {
            session = new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = modelPath });
        }
        try
        {
            var tokenizer = session.Tokenizer ?? PolicyCheckpoint.Load(folder).Tokenizer;
            return new LocalPolicyServing(session, session, tokenizer, "onnxruntime", modelPath, options);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>An export already next to the checkpoint: <c>CHECKPOINT/model.onnx</c> or <c>CHECKPOINT-onnx/model.onnx</c>.</summary>
    private static string? FindExport(string checkpoint)
    {
        foreach (var candidate in new[]
                 {
                     Path.Combine(checkpoint, OnnxPolicySession.DefaultModelFileName),
                     Path.Combine($"{checkpoint}-onnx", OnnxPolicySession.DefaultModelFileName),
                 })
        {
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public void Dispose() => _engine.Dispose();
}
