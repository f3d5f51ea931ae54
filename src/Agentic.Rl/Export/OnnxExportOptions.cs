using Agentic.Core.Tokenization;

namespace Agentic.Rl.Export;

/// <summary>Options of <see cref="OnnxPolicyExporter.Export"/>.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>
    /// Gets the tokenizer stored in the graph's metadata (and written as <c>tokenizer.json</c> next to the model when
    /// <see cref="WriteSidecarFiles"/> is set), so a serving process needs nothing but the exported folder. Default none.
    /// </summary>
    public ByteLevelTokenizer? Tokenizer { get; init; }

    /// <summary>
    /// Gets whether <c>config.json</c> (and <c>tokenizer.json</c> when a tokenizer is given) are also written next to
    /// the model file. The same texts are always in the model's <c>metadata_props</c>. Default true.
    /// </summary>
    public bool WriteSidecarFiles { get; init; } = true;

    /// <summary>Gets extra string metadata copied into <c>metadata_props</c> (for example the checkpoint it came from).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}
