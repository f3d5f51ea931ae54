using Agentic.Core.Inference;

namespace Agentic.Core.Tests.Inference;

public sealed class OnnxPolicySessionTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"agentic-onnx-core-{Guid.NewGuid():N}");

    public OnnxPolicySessionTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentException>(() => new OnnxPolicyOptions().Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new OnnxPolicyOptions { ModelPath = "m.onnx", DeviceId = -1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new OnnxPolicyOptions { ModelPath = "m.onnx", IntraOpThreads = -1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new OnnxPolicyOptions { ModelPath = "m.onnx", PadTokenId = -1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new OnnxPolicyOptions { ModelPath = "m.onnx", ExecutionProvider = (OnnxExecutionProvider)7 }.Validate());
        new OnnxPolicyOptions { ModelPath = "m.onnx" }.Validate();
        Assert.Throws<ArgumentNullException>(() => new OnnxPolicySession(null!));
    }

    [Fact]
    public void A_missing_model_file_or_folder_is_a_FileNotFoundException_naming_the_path()
    {
        var error = Assert.Throws<FileNotFoundException>(() => new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = _dir }));
        Assert.Equal(Path.Combine(_dir, OnnxPolicySession.DefaultModelFileName), error.FileName);
    }

    [Fact]
    public void A_file_that_is_not_an_ONNX_model_is_an_InvalidDataException()
    {
        var path = Path.Combine(_dir, OnnxPolicySession.DefaultModelFileName);
        File.WriteAllBytes(path, [0x08, 0x07, 0xFF, 0xFF, 0x13, 0x42]);
        var error = Assert.Throws<InvalidDataException>(() => new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = _dir }));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Cuda_with_the_CPU_native_package_is_a_NotSupportedException_that_says_what_to_reference()
    {
        // The CUDA provider is appended before the model is parsed, so any existing file reaches that check.
        var path = Path.Combine(_dir, "model.onnx");
        File.WriteAllText(path, "not read");
        var error = Assert.Throws<NotSupportedException>(() => new OnnxPolicySession(new OnnxPolicyOptions { ModelPath = path, ExecutionProvider = OnnxExecutionProvider.Cuda }));
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu", error.Message);
        Assert.NotNull(error.InnerException);
    }
}
