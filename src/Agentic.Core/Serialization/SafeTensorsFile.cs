using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Agentic.Core.Serialization;

/// <summary>
/// Reads and writes the Hugging Face safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8
/// JSON header padded with spaces to a multiple of 8, then the data buffer in which every tensor occupies the byte range
/// <c>data_offsets: [begin, end)</c>.
/// </summary>
/// <remarks>
/// <para>
/// Writing orders tensors by element size (largest first), then by ordinal name, and pads the header to a multiple of 8,
/// so every tensor is aligned to its element size. The header is compact JSON in the key order of the reference
/// implementation (<c>dtype</c>, <c>shape</c>, <c>data_offsets</c>); metadata keys are written in ordinal order.
/// </para>
/// <para>
/// Reading is strict, like the reference implementation: tensor ranges must tile the data buffer from 0 with no gap
/// or overlap, and the buffer must end exactly at the end of the input. Any violation throws
/// <see cref="SafeTensorsFormatException"/>; I/O failures of the underlying stream propagate unchanged. Each tensor is
/// read into its own array, so a single tensor is limited to <see cref="Array.MaxLength"/> bytes.
/// </para>
/// </remarks>
public static class SafeTensorsFile
{
    /// <summary>The reserved header key of the metadata object.</summary>
    internal const string MetadataKey = "__metadata__";

    /// <summary>The largest header accepted, as in the reference implementation (100 MB).</summary>
    internal const int MaxHeaderLength = 100_000_000;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes tensors and optional metadata in safetensors format at the current position of a stream.</summary>
    /// <param name="stream">A writable stream; it is neither flushed nor closed.</param>
    /// <param name="tensors">The tensors; names must be unique.</param>
    /// <param name="metadata">Optional free-form string metadata, stored under <c>__metadata__</c> when not empty.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="tensors"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// The stream is not writable, a tensor is <see langword="null"/>, two tensors share a name, or a metadata value is
    /// <see langword="null"/>.
    /// </exception>
    public static void Write(Stream stream, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream is not writable.", nameof(stream));
        }

        (byte[] header, SafeTensor[] ordered) = Prepare(tensors, metadata);
        WriteCore(stream, header, ordered);
    }

    /// <summary>
    /// Writes a safetensors file atomically: the bytes go to <c>path + ".tmp"</c>, which is flushed to disk
    /// (<see cref="FileStream.Flush(bool)"/> with <see langword="true"/>) and then moved over <paramref name="path"/>.
    /// A crash leaves either the old file or the new one, never a partial file; on failure the temporary file is deleted.
    /// </summary>
    /// <param name="path">The destination file; replaced if it exists.</param>
    /// <param name="tensors">The tensors; names must be unique.</param>
    /// <param name="metadata">Optional free-form string metadata, stored under <c>__metadata__</c> when not empty.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> or <paramref name="tensors"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="path"/> is empty, a tensor is <see langword="null"/>, two tensors share a name, or a metadata value
    /// is <see langword="null"/>.
    /// </exception>
    /// <exception cref="IOException">The file cannot be written or moved.</exception>
    public static void Write(string path, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        (byte[] header, SafeTensor[] ordered) = Prepare(tensors, metadata); // Validate before touching the disk.

        string temporary = path + ".tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                WriteCore(file, header, ordered);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>Reads a safetensors file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The metadata and tensors.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is <see langword="null"/>.</exception>
    /// <exception cref="SafeTensorsFormatException">The file is not valid safetensors (see <see cref="Read(Stream)"/>).</exception>
    /// <exception cref="NotSupportedException">A single tensor is larger than <see cref="Array.MaxLength"/> bytes.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SafeTensorsContent Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        return Read(file);
    }

    /// <summary>Reads safetensors content from the current position of a stream to its end.</summary>
    /// <param name="stream">A readable stream. When it is seekable, sizes are checked against its length before any
    /// large allocation; when it is not, a corrupt header can make the reader allocate up to the size it claims.</param>
    /// <returns>The metadata and tensors.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not readable.</exception>
    /// <exception cref="SafeTensorsFormatException">
    /// The input is truncated, its header length exceeds the input or 100 MB, the header is not a JSON object, a dtype
    /// is unknown, a shape or offset is malformed, a shape disagrees with its byte range, ranges overlap, leave gaps or
    /// exceed the data, a name is duplicated, the metadata is not an object of strings, or bytes follow the data.
    /// </exception>
    /// <exception cref="NotSupportedException">A single tensor is larger than <see cref="Array.MaxLength"/> bytes.</exception>
    public static SafeTensorsContent Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream is not readable.", nameof(stream));
        }

        Span<byte> prefix = stackalloc byte[sizeof(ulong)];
        int got = stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false);
        if (got < prefix.Length)
        {
            throw new SafeTensorsFormatException($"Truncated safetensors input: {got} bytes, fewer than the 8-byte header length.");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        long? remaining = stream.CanSeek ? stream.Length - stream.Position : null;
        if (headerLength > (ulong)(remaining ?? long.MaxValue))
        {
            throw new SafeTensorsFormatException($"The header length {headerLength} exceeds the {remaining} bytes that follow it: the input is truncated or corrupt.");
        }

        if (headerLength > MaxHeaderLength)
        {
            throw new SafeTensorsFormatException($"The header length {headerLength} exceeds the {MaxHeaderLength}-byte limit.");
        }

        byte[] header = new byte[(int)headerLength];
        got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (got < header.Length)
        {
            throw new SafeTensorsFormatException($"Truncated safetensors input: the header is {headerLength} bytes but only {got} follow the length.");
        }

        (Dictionary<string, string> metadata, List<Entry> entries, long dataLength) = ParseHeader(header);

        if (remaining is long total)
        {
            long available = total - (long)headerLength;
            if (available < dataLength)
            {
                throw new SafeTensorsFormatException($"Truncated safetensors input: the tensors need {dataLength} data bytes but {available} are present.");
            }

            if (available > dataLength)
            {
                throw new SafeTensorsFormatException($"The data buffer has {available - dataLength} bytes after the last tensor (expected {dataLength} bytes).");
            }
        }

        var tensors = new Dictionary<string, SafeTensor>(entries.Count, StringComparer.Ordinal);
        foreach (Entry entry in entries)
        {
            long length = entry.End - entry.Begin;
            if (length > Array.MaxLength)
            {
                throw new NotSupportedException($"Tensor '{entry.Name}' has {length} bytes, more than one array can hold.");
            }

            byte[] data = new byte[length];
            got = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
            if (got < data.Length)
            {
                throw new SafeTensorsFormatException($"Truncated safetensors input: tensor '{entry.Name}' needs data bytes [{entry.Begin}, {entry.End}) but the input ends at {entry.Begin + got}.");
            }

            tensors.Add(entry.Name, new SafeTensor(entry.Name, entry.DType, entry.Shape, data));
        }

        if (remaining is null && stream.ReadByte() >= 0)
        {
            throw new SafeTensorsFormatException($"The data buffer has bytes after the last tensor (expected {dataLength} bytes).");
        }

        return new SafeTensorsContent(metadata, tensors);
    }

    private static (byte[] Header, SafeTensor[] Ordered) Prepare(IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        SafeTensor[] ordered = [.. tensors];
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (SafeTensor tensor in ordered)
        {
            if (tensor is null)
            {
                throw new ArgumentException("The tensors contain a null entry.", nameof(tensors));
            }

            if (!names.Add(tensor.Name))
            {
                throw new ArgumentException($"Two tensors are named '{tensor.Name}'; names must be unique.", nameof(tensors));
            }
        }

        // Largest elements first keeps every tensor aligned to its element size (the header is padded to 8).
        Array.Sort(ordered, static (a, b) =>
        {
            int bySize = b.DType.ElementSize().CompareTo(a.DType.ElementSize());
            return bySize != 0 ? bySize : string.CompareOrdinal(a.Name, b.Name);
        });

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (KeyValuePair<string, string> pair in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (pair.Value is null)
                    {
                        throw new ArgumentException($"Metadata value for '{pair.Key}' is null; safetensors metadata values are strings.", nameof(metadata));
                    }

                    json.WriteString(pair.Key, pair.Value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (SafeTensor tensor in ordered)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType.ToHeaderName());
                json.WriteStartArray("shape");
                foreach (long dimension in tensor.Shape)
                {
                    json.WriteNumberValue(dimension);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += tensor.Data.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        int padded = (buffer.WrittenCount + 7) & ~7;
        byte[] header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return (header, ordered);
    }

    private static void WriteCore(Stream stream, byte[] header, SafeTensor[] ordered)
    {
        Span<byte> prefix = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (SafeTensor tensor in ordered)
        {
            stream.Write(tensor.Data.Span);
        }
    }

    private static (Dictionary<string, string> Metadata, List<Entry> Entries, long DataLength) ParseHeader(byte[] header)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header.AsMemory(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw new SafeTensorsFormatException($"The header is not valid UTF-8 JSON: {ex.Message}", ex);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new SafeTensorsFormatException($"The header must be a JSON object, not {root.ValueKind}.");
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<Entry>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (!names.Add(property.Name))
                {
                    throw new SafeTensorsFormatException($"The header names '{property.Name}' more than once.");
                }

                if (property.Name == MetadataKey)
                {
                    ParseMetadata(property.Value, metadata);
                }
                else
                {
                    entries.Add(ParseEntry(property.Name, property.Value));
                }
            }

            // Ranges must tile [0, dataLength) exactly, as in the reference implementation.
            entries.Sort(static (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            long expected = 0;
            foreach (Entry entry in entries)
            {
                if (entry.Begin < expected)
                {
                    throw new SafeTensorsFormatException($"Tensor '{entry.Name}' data [{entry.Begin}, {entry.End}) overlaps the previous tensor, which ends at {expected}.");
                }

                if (entry.Begin > expected)
                {
                    throw new SafeTensorsFormatException($"Tensor '{entry.Name}' data starts at {entry.Begin}, leaving a gap after offset {expected}; offsets must be contiguous.");
                }

                expected = entry.End;
            }

            return (metadata, entries, expected);
        }
    }

    private static void ParseMetadata(JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new SafeTensorsFormatException($"'{MetadataKey}' must be an object of strings, not {value.ValueKind}.");
        }

        foreach (JsonProperty pair in value.EnumerateObject())
        {
            if (pair.Value.ValueKind != JsonValueKind.String)
            {
                throw new SafeTensorsFormatException($"Metadata value '{pair.Name}' must be a string, not {pair.Value.ValueKind}.");
            }

            if (!metadata.TryAdd(pair.Name, pair.Value.GetString()!))
            {
                throw new SafeTensorsFormatException($"Metadata key '{pair.Name}' appears more than once.");
            }
        }
    }

    private static Entry ParseEntry(string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' must be described by an object, not {value.ValueKind}.");
        }

        if (!value.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' has no string 'dtype'.");
        }

        string dtypeName = dtypeElement.GetString()!;
        if (!SafeTensorDTypeExtensions.TryParseHeaderName(dtypeName, out SafeTensorDType dtype))
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' has unknown or unsupported dtype '{dtypeName}'.");
        }

        long[] shape = ReadNonNegativeIntegers(name, value, "shape", expectedCount: null);
        long[] offsets = ReadNonNegativeIntegers(name, value, "data_offsets", expectedCount: 2);
        long begin = offsets[0], end = offsets[1];
        if (end < begin)
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' has data_offsets [{begin}, {end}] that end before they begin.");
        }

        long expectedBytes;
        try
        {
            expectedBytes = checked(SafeTensor.CountElements(shape, nameof(shape)) * dtype.ElementSize());
        }
        catch (Exception ex) when (ex is OverflowException or ArgumentException)
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' has shape [{string.Join(", ", shape)}] whose size overflows.", ex);
        }

        if (end - begin != expectedBytes)
        {
            throw new SafeTensorsFormatException(
                $"Tensor '{name}' of shape [{string.Join(", ", shape)}] and dtype {dtypeName} needs {expectedBytes} bytes but data_offsets [{begin}, {end}] span {end - begin}.");
        }

        return new Entry(name, dtype, shape, begin, end);
    }

    private static long[] ReadNonNegativeIntegers(string name, JsonElement value, string property, int? expectedCount)
    {
        if (!value.TryGetProperty(property, out JsonElement array) || array.ValueKind != JsonValueKind.Array)
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' has no array '{property}'.");
        }

        int count = array.GetArrayLength();
        if (expectedCount is int exact && count != exact)
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' has {count} '{property}' values; expected {exact}.");
        }

        long[] result = new long[count];
        int i = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long number) || number < 0)
            {
                throw new SafeTensorsFormatException($"Tensor '{name}' has '{property}' value {item.GetRawText()} that is not a non-negative 64-bit integer.");
            }

            result[i++] = number;
        }

        return result;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private readonly record struct Entry(string Name, SafeTensorDType DType, long[] Shape, long Begin, long End);
}
