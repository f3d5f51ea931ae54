using System.Buffers;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Agentic.Core.Tokenization;

/// <summary>
/// The built-in tokenizer for tiny models: ids 0..255 are the raw UTF-8 bytes of the text, ids 256 and up are special
/// tokens, one id each.
/// </summary>
/// <remarks>
/// <para>
/// Encoding scans the text left to right. Where a special token starts, the longest matching special token becomes
/// its id; everything else becomes the UTF-8 bytes of the text. There is no normalizer and no pre-tokenizer, so the
/// <c>considerNormalization</c> and <c>considerPreTokenization</c> flags of the base API have no effect. A lone
/// surrogate in the input cannot be represented in UTF-8 and is encoded as U+FFFD.
/// </para>
/// <para>
/// Every byte of one character carries that character's offset in <see cref="EncodedToken.Offset"/>; a token limit
/// never splits a character. The <see cref="EncodedToken.Value"/> of a byte token is the character itself for ASCII
/// bytes and <c>&lt;0xHH&gt;</c> for the others.
/// </para>
/// <para>
/// Decoding turns each run of byte ids into text with the standard UTF-8 rules: an invalid or truncated sequence
/// (for example a multi-byte character whose bytes were cut by a special token or by the end of the ids) becomes one
/// U+FFFD per maximal invalid subsequence, exactly as <see cref="Encoding.UTF8"/> does. Special ids decode to their
/// text. Ids outside <c>[0, VocabularySize)</c> throw <see cref="ArgumentOutOfRangeException"/>.
/// </para>
/// <para>Instances are immutable and safe to use from several threads.</para>
/// </remarks>
public sealed class ByteLevelTokenizer : Tokenizer
{
    /// <summary>The number of byte ids (0..255) that come before the special tokens.</summary>
    public const int ByteCount = 256;

    private const string JsonTypeName = "byte_level";

    private const string EndOfTextToken = "<|endoftext|>";

    /// <summary>
    /// The special tokens of <see cref="CreateDefault"/>, in id order: the end-of-text token, the ChatML turn markers,
    /// the Hermes tool-call tags, and the tags of the reasoning, search, refinement, answer, memory and verification
    /// steps.
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultSpecialTokens = new ReadOnlyCollection<string>(
    [
        "<|endoftext|>", "<|im_start|>", "<|im_end|>",
        "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>", "<tools>", "</tools>",
        "<think>", "</think>", "<search>", "</search>", "<documents>", "</documents>",
        "<refine>", "</refine>", "<answer>", "</answer>", "<memory>", "</memory>", "<verify>", "</verify>",
    ]);

    private static readonly string[] ByteTokenValues = CreateByteTokenValues();

    private readonly string[] _specialTokens;
    private readonly IReadOnlyDictionary<string, int> _specialTokenIds;
    private readonly Dictionary<char, string[]> _specialTokensByFirstChar;

    /// <summary>Creates a tokenizer with the given special tokens, which get ids 256, 257, ... in order.</summary>
    /// <param name="specialTokens">The special tokens: at least one, none null or empty, no duplicates.</param>
    /// <exception cref="ArgumentNullException"><paramref name="specialTokens"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// The list is empty, or holds a null or empty token, or holds the same token twice.
    /// </exception>
    public ByteLevelTokenizer(IEnumerable<string> specialTokens)
    {
        ArgumentNullException.ThrowIfNull(specialTokens);
        _specialTokens = specialTokens.ToArray();
        if (_specialTokens.Length == 0)
        {
            throw new ArgumentException("At least one special token is required.", nameof(specialTokens));
        }

        var ids = new Dictionary<string, int>(_specialTokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < _specialTokens.Length; i++)
        {
            string token = _specialTokens[i];
            if (string.IsNullOrEmpty(token))
            {
                throw new ArgumentException($"Special token at index {i} is null or empty.", nameof(specialTokens));
            }

            if (!ids.TryAdd(token, ByteCount + i))
            {
                throw new ArgumentException($"Special token '{token}' appears more than once.", nameof(specialTokens));
            }
        }

        _specialTokenIds = new ReadOnlyDictionary<string, int>(ids);
        _specialTokensByFirstChar = _specialTokens
            .GroupBy(t => t[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Length).ToArray());
        EndOfTextId = ids.TryGetValue(EndOfTextToken, out int eot) ? eot : ByteCount;
    }

    /// <summary>Creates a tokenizer with <see cref="DefaultSpecialTokens"/>.</summary>
    /// <returns>A new tokenizer whose <see cref="EndOfTextId"/> is 256.</returns>
    public static ByteLevelTokenizer CreateDefault() => new(DefaultSpecialTokens);

    /// <summary>The special tokens and their ids (256 and up).</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens => _specialTokenIds;

    /// <summary>The number of ids: 256 bytes plus the special tokens.</summary>
    public int VocabularySize => ByteCount + _specialTokens.Length;

    /// <summary>
    /// The id of <c>&lt;|endoftext|&gt;</c> if it is a special token; otherwise the id of the first special token (256).
    /// </summary>
    public int EndOfTextId { get; }

    /// <summary>Looks up the id of a special token.</summary>
    /// <param name="token">The special token text, for example <c>&lt;|im_end|&gt;</c>.</param>
    /// <returns>The id, or <see langword="null"/> if <paramref name="token"/> is not a special token.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="token"/> is <see langword="null"/>.</exception>
    public int? GetSpecialTokenId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _specialTokenIds.TryGetValue(token, out int id) ? id : null;
    }

    /// <summary>Tells whether an id is a special token id.</summary>
    /// <param name="id">The id.</param>
    /// <returns><see langword="true"/> if <paramref name="id"/> is in <c>[256, VocabularySize)</c>.</returns>
    public bool IsSpecial(int id) => id >= ByteCount && id < VocabularySize;

    /// <summary>Writes the description of this tokenizer, for checkpoints.</summary>
    /// <returns>JSON of the form <c>{"type":"byte_level","special_tokens":[...]}</c>.</returns>
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", JsonTypeName);
            writer.WriteStartArray("special_tokens");
            foreach (string token in _specialTokens)
            {
                writer.WriteStringValue(token);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads a tokenizer description written by <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON description.</param>
    /// <returns>The tokenizer it describes.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">
    /// The text is not JSON, is not an object, its <c>type</c> is not <c>byte_level</c>, or its <c>special_tokens</c>
    /// is missing, is not an array of strings, or is not a valid special-token list.
    /// </exception>
    public static ByteLevelTokenizer FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Tokenizer description is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"Tokenizer description must be a JSON object, not {root.ValueKind}.");
            }

            if (!root.TryGetProperty("type", out JsonElement type) || type.ValueKind != JsonValueKind.String)
            {
                throw new FormatException("Tokenizer description has no string 'type' field.");
            }

            if (type.GetString() != JsonTypeName)
            {
                throw new FormatException(
                    $"Tokenizer description has type '{type.GetString()}'; expected '{JsonTypeName}'.");
            }

            if (!root.TryGetProperty("special_tokens", out JsonElement tokens) || tokens.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("Tokenizer description has no 'special_tokens' array.");
            }

            var list = new List<string>(tokens.GetArrayLength());
            foreach (JsonElement token in tokens.EnumerateArray())
            {
                if (token.ValueKind != JsonValueKind.String)
                {
                    throw new FormatException($"'special_tokens' must hold strings only; found {token.ValueKind}.");
                }

                list.Add(token.GetString()!);
            }

            try
            {
                return new ByteLevelTokenizer(list);
            }
            catch (ArgumentException ex)
            {
                throw new FormatException($"Tokenizer description has invalid special tokens: {ex.Message}", ex);
            }
        }
    }

    /// <inheritdoc/>
    protected override EncodeResults<EncodedToken> EncodeToTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var tokens = new List<EncodedToken>();
        int consumed = EncodeCore(text is null ? textSpan : text.AsSpan(), MaxTokens(settings), tokens, null, out _);
        return new EncodeResults<EncodedToken> { Tokens = tokens, NormalizedText = null, CharsConsumed = consumed };
    }

    /// <inheritdoc/>
    protected override EncodeResults<int> EncodeToIds(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        var ids = new List<int>();
        int consumed = EncodeCore(text is null ? textSpan : text.AsSpan(), MaxTokens(settings), null, ids, out _);
        return new EncodeResults<int> { Tokens = ids, NormalizedText = null, CharsConsumed = consumed };
    }

    /// <inheritdoc/>
    protected override int CountTokens(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings)
    {
        EncodeCore(text is null ? textSpan : text.AsSpan(), MaxTokens(settings), null, null, out int count);
        return count;
    }

    /// <inheritdoc/>
    protected override int GetIndexByTokenCount(string? text, ReadOnlySpan<char> textSpan, EncodeSettings settings, bool fromEnd, out string? normalizedText, out int tokenCount)
    {
        normalizedText = null;
        ReadOnlySpan<char> span = text is null ? textSpan : text.AsSpan();
        int max = MaxTokens(settings);
        if (!fromEnd)
        {
            return EncodeCore(span, max, null, null, out tokenCount);
        }

        // Walk back over whole units (a special token or all bytes of one character) while they fit.
        var tokens = new List<EncodedToken>();
        EncodeCore(span, int.MaxValue, tokens, null, out _);
        int index = span.Length;
        tokenCount = 0;
        int i = tokens.Count - 1;
        while (i >= 0)
        {
            int start = tokens[i].Offset.Start.Value;
            int j = i;
            while (j > 0 && tokens[j - 1].Offset.Start.Value == start)
            {
                j--;
            }

            int unit = i - j + 1;
            if (tokenCount + unit > max)
            {
                break;
            }

            tokenCount += unit;
            index = start;
            i = j - 1;
        }

        return index;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentNullException"><paramref name="ids"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>[0, VocabularySize)</c>.</exception>
    public override string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        IReadOnlyList<int> list = ids as IReadOnlyList<int> ?? ids.ToArray();
        var builder = new StringBuilder(list.Count);
        Span<char> chars = stackalloc char[2];
        for (int i = 0; i < list.Count;)
        {
            i += NextUnit(list, i, chars, out int charCount, out string? special);
            if (special is not null)
            {
                builder.Append(special);
            }
            else
            {
                builder.Append(chars[..charCount]);
            }
        }

        return builder.ToString();
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Writes whole units only: a special token, or one decoded character (or U+FFFD). When the next unit does not
    /// fit, returns <see cref="OperationStatus.DestinationTooSmall"/> with the ids and chars written so far.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="ids"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>[0, VocabularySize)</c>.</exception>
    public override OperationStatus Decode(IEnumerable<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        ArgumentNullException.ThrowIfNull(ids);
        IReadOnlyList<int> list = ids as IReadOnlyList<int> ?? ids.ToArray();
        idsConsumed = 0;
        charsWritten = 0;
        Span<char> chars = stackalloc char[2];
        while (idsConsumed < list.Count)
        {
            int used = NextUnit(list, idsConsumed, chars, out int charCount, out string? special);
            ReadOnlySpan<char> unit = special is not null ? special.AsSpan() : chars[..charCount];
            if (unit.Length > destination.Length - charsWritten)
            {
                return OperationStatus.DestinationTooSmall;
            }

            unit.CopyTo(destination[charsWritten..]);
            charsWritten += unit.Length;
            idsConsumed += used;
        }

        return OperationStatus.Done;
    }

    private static int MaxTokens(EncodeSettings settings)
    {
        int max = settings.MaxTokenCount;
        if (max <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), max, "The maximum token count must be positive.");
        }

        return max;
    }

    /// <summary>
    /// Encodes up to <paramref name="maxTokens"/> tokens into whichever sinks are given; returns the chars consumed.
    /// </summary>
    private int EncodeCore(ReadOnlySpan<char> text, int maxTokens, List<EncodedToken>? tokens, List<int>? ids, out int count)
    {
        count = 0;
        int position = 0;
        Span<byte> utf8 = stackalloc byte[4];
        while (position < text.Length)
        {
            ReadOnlySpan<char> rest = text[position..];
            string? special = MatchSpecial(rest);
            if (special is not null)
            {
                if (count + 1 > maxTokens)
                {
                    break;
                }

                int id = _specialTokenIds[special];
                tokens?.Add(new EncodedToken(id, special, new Range(position, position + special.Length)));
                ids?.Add(id);
                count++;
                position += special.Length;
                continue;
            }

            // An invalid UTF-16 sequence (lone surrogate) decodes as U+FFFD and consumes one char.
            Rune.DecodeFromUtf16(rest, out Rune rune, out int charsUsed);
            int byteCount = rune.EncodeToUtf8(utf8);
            if (count + byteCount > maxTokens)
            {
                break;
            }

            var offset = new Range(position, position + charsUsed);
            for (int b = 0; b < byteCount; b++)
            {
                tokens?.Add(new EncodedToken(utf8[b], ByteTokenValues[utf8[b]], offset));
                ids?.Add(utf8[b]);
            }

            count += byteCount;
            position += charsUsed;
        }

        return position;
    }

    private string? MatchSpecial(ReadOnlySpan<char> text)
    {
        if (_specialTokensByFirstChar.TryGetValue(text[0], out string[]? candidates))
        {
            foreach (string candidate in candidates)
            {
                if (text.StartsWith(candidate, StringComparison.Ordinal))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Decodes the unit starting at <paramref name="start"/>: a special token, or one character (or U+FFFD) from a
    /// run of byte ids. Returns the number of ids used.
    /// </summary>
    private int NextUnit(IReadOnlyList<int> ids, int start, Span<char> chars, out int charCount, out string? special)
    {
        int id = CheckId(ids[start]);
        if (id >= ByteCount)
        {
            special = _specialTokens[id - ByteCount];
            charCount = special.Length;
            return 1;
        }

        special = null;
        Span<byte> bytes = stackalloc byte[4];
        int n = 0;
        while (n < 4 && start + n < ids.Count && CheckId(ids[start + n]) < ByteCount)
        {
            bytes[n] = (byte)ids[start + n];
            n++;
        }

        // Done: a whole character. InvalidData / NeedMoreData: the maximal invalid subsequence, one U+FFFD.
        OperationStatus status = Rune.DecodeFromUtf8(bytes[..n], out Rune rune, out int consumed);
        if (status != OperationStatus.Done)
        {
            rune = Rune.ReplacementChar;
            consumed = Math.Max(consumed, 1);
        }

        charCount = rune.EncodeToUtf16(chars);
        return consumed;
    }

    private int CheckId(int id)
    {
        if ((uint)id >= (uint)VocabularySize)
        {
            throw new ArgumentOutOfRangeException(
                "ids", id, $"Token id {id} is outside the vocabulary [0, {VocabularySize}).");
        }

        return id;
    }

    private static string[] CreateByteTokenValues()
    {
        var values = new string[ByteCount];
        for (int b = 0; b < ByteCount; b++)
        {
            values[b] = b < 0x80
                ? ((char)b).ToString()
                : string.Create(CultureInfo.InvariantCulture, $"<0x{b:X2}>");
        }

        return values;
    }
}
