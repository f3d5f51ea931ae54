using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Agentic.Core.Serialization;

/// <summary>One named tensor of a safetensors file: dtype, shape and the raw little-endian bytes of its elements.</summary>
/// <remarks>
/// <see cref="Shape"/> is exposed read-only (not as a <c>long[]</c>) so a tensor's shape cannot drift away from the
/// length of its <see cref="Data"/> after construction.
/// </remarks>
public sealed class SafeTensor
{
    private readonly long[] _shape;

    /// <summary>Initializes a tensor over existing bytes.</summary>
    /// <param name="name">The tensor name; any string except <c>"__metadata__"</c>, which the format reserves.</param>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The dimensions (copied); an empty shape is a scalar with one element.</param>
    /// <param name="data">The elements in row-major order, little-endian. The memory is not copied: do not mutate it afterwards.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="name"/> is <c>"__metadata__"</c>, a dimension is negative, the element count overflows, or
    /// <paramref name="data"/> is not exactly element count × element size bytes long.
    /// </exception>
    public SafeTensor(string name, SafeTensorDType dtype, ReadOnlySpan<long> shape, ReadOnlyMemory<byte> data)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == SafeTensorsFile.MetadataKey)
        {
            throw new ArgumentException($"'{SafeTensorsFile.MetadataKey}' is reserved by the safetensors format and cannot name a tensor.", nameof(name));
        }

        int elementSize = dtype.ElementSize();
        long count = CountElements(shape, nameof(shape));
        long expected;
        try
        {
            expected = checked(count * elementSize);
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"Tensor '{name}' is too large: {count} elements of {elementSize} bytes.", nameof(shape));
        }

        if (data.Length != expected)
        {
            throw new ArgumentException(
                $"Tensor '{name}' of shape [{string.Join(", ", shape.ToArray())}] and dtype {dtype.ToHeaderName()} needs {expected} bytes but {data.Length} were given.",
                nameof(data));
        }

        Name = name;
        DType = dtype;
        _shape = shape.ToArray();
        Shape = Array.AsReadOnly(_shape);
        Data = data;
        ElementCount = count;
    }

    /// <summary>Gets the tensor name.</summary>
    public string Name { get; }

    /// <summary>Gets the element type.</summary>
    public SafeTensorDType DType { get; }

    /// <summary>Gets the dimensions; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Gets the raw elements, row-major and little-endian, exactly as stored in the file.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>Gets the number of elements (the product of <see cref="Shape"/>; 1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>Creates an <see cref="SafeTensorDType.F32"/> tensor from values (copied).</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="shape">The dimensions; their product must equal the number of values.</param>
    /// <param name="values">The elements in row-major order.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="ArgumentException">The shape does not match the number of values, or the name is invalid.</exception>
    public static SafeTensor FromSingles(string name, ReadOnlySpan<long> shape, ReadOnlySpan<float> values) =>
        From(name, SafeTensorDType.F32, shape, values);

    /// <summary>Creates an <see cref="SafeTensorDType.I64"/> tensor from values (copied).</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="shape">The dimensions; their product must equal the number of values.</param>
    /// <param name="values">The elements in row-major order.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="ArgumentException">The shape does not match the number of values, or the name is invalid.</exception>
    public static SafeTensor FromInt64s(string name, ReadOnlySpan<long> shape, ReadOnlySpan<long> values) =>
        From(name, SafeTensorDType.I64, shape, values);

    /// <summary>Creates an <see cref="SafeTensorDType.I32"/> tensor from values (copied).</summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="shape">The dimensions; their product must equal the number of values.</param>
    /// <param name="values">The elements in row-major order.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="ArgumentException">The shape does not match the number of values, or the name is invalid.</exception>
    public static SafeTensor FromInt32s(string name, ReadOnlySpan<long> shape, ReadOnlySpan<int> values) =>
        From(name, SafeTensorDType.I32, shape, values);

    /// <summary>Decodes the elements of an <see cref="SafeTensorDType.F32"/> tensor.</summary>
    /// <returns>A new array of <see cref="ElementCount"/> values.</returns>
    /// <exception cref="InvalidOperationException">The tensor is not F32.</exception>
    public float[] ToSingles() => To<float>(SafeTensorDType.F32);

    /// <summary>Decodes the elements of an <see cref="SafeTensorDType.I64"/> tensor.</summary>
    /// <returns>A new array of <see cref="ElementCount"/> values.</returns>
    /// <exception cref="InvalidOperationException">The tensor is not I64.</exception>
    public long[] ToInt64s() => To<long>(SafeTensorDType.I64);

    /// <summary>Decodes the elements of an <see cref="SafeTensorDType.I32"/> tensor.</summary>
    /// <returns>A new array of <see cref="ElementCount"/> values.</returns>
    /// <exception cref="InvalidOperationException">The tensor is not I32.</exception>
    public int[] ToInt32s() => To<int>(SafeTensorDType.I32);

    internal static long CountElements(ReadOnlySpan<long> shape, string paramName)
    {
        long count = 1;
        foreach (long dimension in shape)
        {
            if (dimension < 0)
            {
                throw new ArgumentException($"Dimensions must be non-negative, got {dimension}.", paramName);
            }

            try
            {
                count = checked(count * dimension);
            }
            catch (OverflowException)
            {
                throw new ArgumentException("The element count of the shape overflows a 64-bit integer.", paramName);
            }
        }

        return count;
    }

    private static SafeTensor From<T>(string name, SafeTensorDType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        long count = CountElements(shape, nameof(shape));
        if (count != values.Length)
        {
            throw new ArgumentException($"Shape [{string.Join(", ", shape.ToArray())}] holds {count} elements but {values.Length} values were given.", nameof(values));
        }

        byte[] bytes = MemoryMarshal.AsBytes(values).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            ReverseEndianness(bytes, dtype.ElementSize());
        }

        return new SafeTensor(name, dtype, shape, bytes);
    }

    private T[] To<T>(SafeTensorDType dtype)
        where T : unmanaged
    {
        if (DType != dtype)
        {
            throw new InvalidOperationException($"Tensor '{Name}' has dtype {DType.ToHeaderName()}, not {dtype.ToHeaderName()}.");
        }

        T[] values = new T[ElementCount];
        Data.Span.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        if (!BitConverter.IsLittleEndian)
        {
            ReverseEndianness(MemoryMarshal.AsBytes(values.AsSpan()), dtype.ElementSize());
        }

        return values;
    }

    private static void ReverseEndianness(Span<byte> bytes, int elementSize)
    {
        switch (elementSize)
        {
            case 8:
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ulong>(bytes), MemoryMarshal.Cast<byte, ulong>(bytes));
                break;
            case 4:
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(bytes), MemoryMarshal.Cast<byte, uint>(bytes));
                break;
            case 2:
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ushort>(bytes), MemoryMarshal.Cast<byte, ushort>(bytes));
                break;
        }
    }
}
