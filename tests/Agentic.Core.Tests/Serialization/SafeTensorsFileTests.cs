using System.Buffers.Binary;
using System.Text;
using Agentic.Core.Randomness;
using Agentic.Core.Serialization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Agentic.Core.Tests.Serialization;

[Properties(Replay = "(3318823120496551,1640531527)", MaxTest = 200)]
public sealed class SafeTensorsFileTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "agentic-safetensors-" + Guid.NewGuid().ToString("N"));

    public SafeTensorsFileTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static SafeTensor[] SampleTensors() =>
    [
        SafeTensor.FromSingles("layer.0.weight", [2, 3], [1f, -2f, 3.5f, float.NegativeInfinity, 0f, 1e-30f]),
        SafeTensor.FromInt64s("step", [], [123456789012345]),
        SafeTensor.FromInt32s("ids", [4], [1, -1, int.MaxValue, 0]),
        new SafeTensor("bf16", SafeTensorDType.BF16, [3], new byte[] { 1, 2, 3, 4, 5, 6 }),
        new SafeTensor("mask", SafeTensorDType.Bool, [2], new byte[] { 1, 0 }),
        new SafeTensor("empty", SafeTensorDType.F64, [0, 3], Array.Empty<byte>()),
    ];

    private static byte[] WriteToBytes(IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var stream = new MemoryStream();
        SafeTensorsFile.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    private static void AssertSame(SafeTensor expected, SafeTensor actual)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.DType, actual.DType);
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.ElementCount, actual.ElementCount);
        Assert.True(expected.Data.Span.SequenceEqual(actual.Data.Span), $"data of {expected.Name}");
    }

    [Fact]
    public void RoundTripsThroughStreamAndFileBitForBit()
    {
        SafeTensor[] tensors = SampleTensors();
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "héllo \"quoted\"" };

        SafeTensorsContent fromStream = SafeTensorsFile.Read(new MemoryStream(WriteToBytes(tensors, metadata)));
        string path = Path.Combine(_directory, "model.safetensors");
        SafeTensorsFile.Write(path, tensors, metadata);
        SafeTensorsContent fromFile = SafeTensorsFile.Read(path);

        foreach (SafeTensorsContent content in new[] { fromStream, fromFile })
        {
            Assert.Equal(metadata.OrderBy(p => p.Key), content.Metadata.OrderBy(p => p.Key));
            Assert.Equal(tensors.Length, content.Tensors.Count);
            foreach (SafeTensor tensor in tensors)
            {
                AssertSame(tensor, content[tensor.Name]);
            }

            Assert.Equal([1f, -2f, 3.5f, float.NegativeInfinity, 0f, 1e-30f], content["layer.0.weight"].ToSingles());
            Assert.Equal([123456789012345L], content["step"].ToInt64s());
            Assert.Equal([1, -1, int.MaxValue, 0], content["ids"].ToInt32s());
        }

        Assert.Equal(WriteToBytes(tensors, metadata), File.ReadAllBytes(path));
    }

    [Fact]
    public void WritesTheExactBytesOfTheReferenceFormat()
    {
        byte[] actual = WriteToBytes([SafeTensor.FromSingles("a", [2], [1f, 2f])]);

        // 54 bytes of JSON padded with 2 spaces to 56 = 0x38, as Python's safetensors.torch.save_file writes it.
        byte[] expected =
        [
            0x38, 0, 0, 0, 0, 0, 0, 0,
            .. Encoding.ASCII.GetBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}  "),
            0x00, 0x00, 0x80, 0x3F, // 1.0f
            0x00, 0x00, 0x00, 0x40, // 2.0f
        ];
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void ReadsAHandWrittenFileWithMetadataAndAnyKeyOrder()
    {
        byte[] file = Build("{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"shape\":[1,2],\"data_offsets\":[0,8],\"dtype\":\"I32\"}}", [7, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
        SafeTensorsContent content = SafeTensorsFile.Read(new MemoryStream(file));
        Assert.Equal("pt", content.Metadata["format"]);
        Assert.Equal([1L, 2L], content["w"].Shape);
        Assert.Equal([7, -1], content["w"].ToInt32s());
    }

    [Fact]
    public void WriterAlignsTensorsByElementSize()
    {
        byte[] file = WriteToBytes([
            new SafeTensor("a_byte", SafeTensorDType.U8, [3], new byte[3]),
            SafeTensor.FromInt64s("b_long", [1], [5]),
            SafeTensor.FromSingles("c_float", [1], [1f]),
        ]);
        SafeTensorsContent content = SafeTensorsFile.Read(new MemoryStream(file));
        Assert.Equal(["b_long", "c_float", "a_byte"], content.Tensors.Keys);
        Assert.Equal(0, BinaryPrimitives.ReadInt64LittleEndian(file) % 8);
    }

    public static TheoryData<string, byte[]> CorruptHeaders => new()
    {
        { "{\"a\":", new byte[4] },                                                                  // bad JSON
        { "[1,2]", Array.Empty<byte>() },                                                             // not an object
        { "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1] },     // unknown dtype
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8] },          // shape/offset mismatch
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4] },         // negative dimension
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", new byte[4] },          // end before begin
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", new byte[4] },        // three offsets
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", new byte[4] },        // fractional dimension
        { "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4] },                         // missing shape
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,4]}}", new byte[4] }, // size overflow
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12] }, // overlap
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12] }, // gap
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8] },          // does not start at 0
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[4] },          // offsets beyond the data
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[5] },          // trailing bytes
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8] }, // duplicate name
        { "{\"__metadata__\":{\"k\":1}}", Array.Empty<byte>() },                                      // non-string metadata
        { "{\"__metadata__\":[]}", Array.Empty<byte>() },                                             // metadata not an object
        { "{\"a\":[]}", Array.Empty<byte>() },                                                        // tensor info not an object
    };

    [Theory]
    [MemberData(nameof(CorruptHeaders))]
    public void CorruptHeadersThrowSafeTensorsFormatException(string header, byte[] data)
    {
        byte[] file = Build(header, data);
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Read(new MemoryStream(file)));
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Read(new NonSeekableStream(file)));
    }

    [Fact]
    public void CorruptFramingThrowsSafeTensorsFormatException()
    {
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Read(new MemoryStream()));
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Read(new MemoryStream(new byte[7])));

        byte[] beyond = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(beyond, 1000);
        SafeTensorsFormatException ex = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Read(new MemoryStream(beyond)));
        Assert.Contains("1000", ex.Message);

        BinaryPrimitives.WriteUInt64LittleEndian(beyond, ulong.MaxValue);
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Read(new MemoryStream(beyond)));
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Read(new NonSeekableStream(beyond)));

        byte[] invalidUtf8 = [4, 0, 0, 0, 0, 0, 0, 0, (byte)'{', 0xC3, 0x28, (byte)'}'];
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Read(new MemoryStream(invalidUtf8)));
        Assert.IsAssignableFrom<IOException>(new SafeTensorsFormatException());
    }

    [Property]
    public Property AnyPrefixShorterThanTheFileThrowsSafeTensorsFormatException()
    {
        var random = new DeterministicRandom(17);
        SafeTensor[] tensors =
        [
            SafeTensor.FromSingles("w", [3, 2], [.. Enumerable.Range(0, 6).Select(_ => random.NextSingle())]),
            SafeTensor.FromInt64s("step", [], [42]),
            new SafeTensor("flags", SafeTensorDType.U8, [3], new byte[] { 1, 2, 3 }),
        ];
        byte[] file = WriteToBytes(tensors, new Dictionary<string, string> { ["format"] = "pt" });
        Arbitrary<(int Length, bool Seekable)> cases = Gen.Choose(0, file.Length - 1).Zip(Gen.Elements(true, false)).ToArbitrary();

        return Prop.ForAll(cases, c =>
        {
            Stream prefix = c.Seekable ? new MemoryStream(file, 0, c.Length) : new NonSeekableStream(file[..c.Length]);
            try
            {
                SafeTensorsFile.Read(prefix);
                return false;
            }
            catch (SafeTensorsFormatException)
            {
                return true;
            }
        });
    }

    [Fact]
    public void AtomicWriteLeavesNoTemporaryFileAndReplacesTheTarget()
    {
        string path = Path.Combine(_directory, "ckpt.safetensors");
        SafeTensorsFile.Write(path, [SafeTensor.FromSingles("x", [1], [1f])]);
        SafeTensorsFile.Write(path, [SafeTensor.FromSingles("x", [1], [2f])]);

        Assert.Equal([2f], SafeTensorsFile.Read(path)["x"].ToSingles());
        Assert.False(File.Exists(path + ".tmp"));
        Assert.Equal(["ckpt.safetensors"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public void InvalidWritesFailBeforeTouchingTheDisk()
    {
        string path = Path.Combine(_directory, "bad.safetensors");
        SafeTensor x = SafeTensor.FromSingles("x", [1], [1f]);
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(path, [x, SafeTensor.FromInt32s("x", [1], [1])]));
        Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(path, [x], new Dictionary<string, string> { ["k"] = null! }));
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Fact]
    public void TensorGuardsItsInvariants()
    {
        Assert.Throws<ArgumentException>(() => SafeTensor.FromSingles("x", [2, 2], [1f, 2f, 3f]));
        Assert.Throws<ArgumentException>(() => SafeTensor.FromSingles("__metadata__", [1], [1f]));
        Assert.Throws<ArgumentException>(() => new SafeTensor("x", SafeTensorDType.F16, [3], new byte[4]));
        Assert.Throws<InvalidOperationException>(() => SafeTensor.FromInt64s("x", [1], [1]).ToSingles());
        Assert.Equal(8, SafeTensorDType.I64.ElementSize());
        Assert.Equal(2, SafeTensorDType.BF16.ElementSize());
        Assert.Equal(1, SafeTensorDType.Bool.ElementSize());

        SafeTensorsContent content = SafeTensorsFile.Read(new MemoryStream(WriteToBytes([])));
        KeyNotFoundException missing = Assert.Throws<KeyNotFoundException>(() => content["nope"]);
        Assert.Contains("nope", missing.Message);
        Assert.Empty(content.Metadata);
    }

    private static byte[] Build(string header, byte[] data)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        byte[] file = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        data.CopyTo(file, 8 + json.Length);
        return file;
    }

    /// <summary>A read-only stream that cannot seek, like a network or pipe stream.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 3));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
