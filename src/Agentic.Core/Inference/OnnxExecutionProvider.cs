namespace Agentic.Core.Inference;

/// <summary>The ONNX Runtime execution provider an <see cref="OnnxPolicySession"/> runs on.</summary>
public enum OnnxExecutionProvider
{
    /// <summary>The CPU provider, present in every ONNX Runtime native package (the default).</summary>
    Cpu,

    /// <summary>
    /// NVIDIA CUDA. The application must reference <c>Microsoft.ML.OnnxRuntime.Gpu</c> (instead of
    /// <c>Microsoft.ML.OnnxRuntime</c>) and have the CUDA and cuDNN libraries that package was built for on the library
    /// path; otherwise the session throws <see cref="NotSupportedException"/>.
    /// </summary>
    Cuda,
}
