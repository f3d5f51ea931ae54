namespace Agentic.Core.Inference;

/// <summary>Options of an <see cref="OnnxPolicySession"/>.</summary>
public sealed class OnnxPolicyOptions
{
    /// <summary>
    /// Gets or sets the exported policy: a <c>.onnx</c> file written by <c>OnnxPolicyExporter</c>, or a folder holding
    /// <c>model.onnx</c>. Required.
    /// </summary>
    public string ModelPath { get; set; } = "";

    /// <summary>Gets or sets the execution provider. Default <see cref="OnnxExecutionProvider.Cpu"/>.</summary>
    public OnnxExecutionProvider ExecutionProvider { get; set; } = OnnxExecutionProvider.Cpu;

    /// <summary>Gets or sets the CUDA device ordinal (used with <see cref="OnnxExecutionProvider.Cuda"/>). Default 0.</summary>
    public int DeviceId { get; set; }

    /// <summary>Gets or sets the threads ONNX Runtime uses inside one operator; 0 lets ONNX Runtime choose. Default 0.</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>
    /// Gets or sets the token id that fills left padding and the rows that already stopped (it is masked, so any valid
    /// id works). Default 0.
    /// </summary>
    public int PadTokenId { get; set; }

    /// <summary>Checks every property and throws on the first invalid one.</summary>
    /// <exception cref="ArgumentException"><see cref="ModelPath"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <see cref="DeviceId"/>, <see cref="IntraOpThreads"/> or <see cref="PadTokenId"/> is negative, or
    /// <see cref="ExecutionProvider"/> is not a defined value.
    /// </exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath)) throw new ArgumentException("ModelPath must name an exported .onnx file or its folder.", nameof(ModelPath));
        if (!Enum.IsDefined(ExecutionProvider)) throw new ArgumentOutOfRangeException(nameof(ExecutionProvider), ExecutionProvider, "Unknown execution provider.");
        ArgumentOutOfRangeException.ThrowIfNegative(DeviceId, nameof(DeviceId));
        ArgumentOutOfRangeException.ThrowIfNegative(IntraOpThreads, nameof(IntraOpThreads));
        ArgumentOutOfRangeException.ThrowIfNegative(PadTokenId, nameof(PadTokenId));
    }
}
