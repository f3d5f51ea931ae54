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

    /// <summary>
    /// Gets or sets the memory, in MiB, for key/value tensors the session keeps from earlier calls, so that a prompt
    /// extending an earlier prompt and its continuation (the next turn of a conversation) or sharing a start with it
    /// (the same system prompt) prefills only its new tokens. Least recently used sequences are dropped beyond it; a
    /// position costs layers x 2 x kv_heads x head_dim floats (4 KiB for the built-in policy, so the default holds
    /// 65,536 positions). 0 turns the reuse off. Default 256.
    /// </summary>
    public int PrefixCacheMegabytes { get; set; } = 256;

    /// <summary>Checks every property and throws on the first invalid one.</summary>
    /// <exception cref="ArgumentException"><see cref="ModelPath"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <see cref="DeviceId"/>, <see cref="IntraOpThreads"/>, <see cref="PadTokenId"/> or <see cref="PrefixCacheMegabytes"/> is negative, or
    /// <see cref="ExecutionProvider"/> is not a defined value.
    /// </exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath)) throw new ArgumentException("ModelPath must name an exported .onnx file or its folder.", nameof(ModelPath));
        if (!Enum.IsDefined(ExecutionProvider)) throw new ArgumentOutOfRangeException(nameof(ExecutionProvider), ExecutionProvider, "Unknown execution provider.");
        ArgumentOutOfRangeException.ThrowIfNegative(DeviceId, nameof(DeviceId));
        ArgumentOutOfRangeException.ThrowIfNegative(IntraOpThreads, nameof(IntraOpThreads));
        ArgumentOutOfRangeException.ThrowIfNegative(PadTokenId, nameof(PadTokenId));
        ArgumentOutOfRangeException.ThrowIfNegative(PrefixCacheMegabytes, nameof(PrefixCacheMegabytes));
    }
}
