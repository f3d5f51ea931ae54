using Agentic.Core.Sampling;

namespace Agentic.Core.Generation;

/// <summary>
/// Token-in, token-out generation from a local policy: one continuation per prompt, with per-token log-probabilities.
/// Implemented by the TorchSharp policy (training-time generation) and by the ONNX Runtime engine (serving), so
/// chat clients, agent loops and evaluators work over either.
/// </summary>
public interface ITokenGenerator
{
    /// <summary>Number of token ids the model accepts (ids must be in [0, VocabularySize)).</summary>
    int VocabularySize { get; }

    /// <summary>Samples one continuation for each prompt.</summary>
    /// <param name="prompts">Token ids of each prompt (non-empty).</param>
    /// <param name="options">Sampling options; <see cref="SamplingOptions.Seed"/> makes the draw reproducible.</param>
    /// <param name="cancellationToken">Checked between decoding steps.</param>
    /// <exception cref="ArgumentException">A prompt is empty, has an id outside the vocabulary, or is too long.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    IReadOnlyList<GenerationResult> Generate(IReadOnlyList<IReadOnlyList<int>> prompts, SamplingOptions options, CancellationToken cancellationToken = default);
}
