using System.Buffers;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Agentic.Core.Tokenization;

/// <summary>
/// The built-in tokenizer for tiny models: ids 0..255 are the raw UTF-8 bytes of the text, ids 256 and up are special
/// tokens, one id each, optionally followed by learned byte-pair merges (byte-level BPE).
/// </summary>
/// <remarks>
/// <para>
/// Without merges (<see cref="CreateDefault"/>, <see cref="ByteLevelTokenizer(IEnumerable{string})"/>) the rules below
/// apply as written. With merges (<see cref="Fit"/>, or a description with a <c>merges</c> array) the id layout is:
/// bytes 0..255, then the special tokens (same ids as without merges), then one id per merge in rank order. Text
/// between special tokens is then split into pre-tokens (see the pattern in <c>PreTokenSplitter</c>: letter runs with
/// an optional leading space, single digits, punctuation runs with an optional leading space, whitespace), and the
/// UTF-8 bytes of each pre-token are merged by rank as in GPT-2's BPE. A merge token can hold several characters or
/// part of one; its <see cref="EncodedToken.Offset"/> covers every character it touches, its
/// <see cref="EncodedToken.Value"/> is its bytes as text (valid UTF-8 as characters, other bytes as <c>&lt;0xHH&gt;</c>),
/// and a token limit still cuts only where a character ends (so a limit never leaves part of a character: the ids are
/// always a prefix of the ids of the whole text). Decoding concatenates the bytes of the ids, then applies the
/// UTF-8 rules below; the span <see cref="Decode(IEnumerable{int}, Span{char}, out int, out int)"/> stops only after
/// an id whose bytes end on a character boundary.
/// </para>
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
    private readonly BytePairModel? _bpe;

    /// <summary>Creates a tokenizer with the given special tokens, which get ids 256, 257, ... in order.</summary>
    /// <param name="specialTokens">The special tokens: at least one, none null or empty, no duplicates.</param>
    /// <exception cref="ArgumentNullException"><paramref name="specialTokens"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// The list is empty, or holds a null or empty token, or holds the same token twice.
    /// </exception>
    public ByteLevelTokenizer(IEnumerable<string> specialTokens)
        : this(specialTokens, [])
    {
    }

    /// <summary>
    /// Creates a tokenizer with the given special tokens (ids 256, 257, ...) and byte-pair merges (ids after the
    /// special tokens, in rank order).
    /// </summary>
    /// <param name="specialTokens">The special tokens: at least one, none null or empty, no duplicates.</param>
    /// <param name="merges">
    /// The merges in rank order, usually from <see cref="Fit"/>; each side is a byte id or the id of an earlier merge,
    /// and no pair appears twice. Empty for a plain byte-level tokenizer.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="specialTokens"/> or <paramref name="merges"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// The special-token list is empty, or holds a null or empty token, or holds the same token twice; or a merge
    /// refers to an id that is neither a byte nor an earlier merge, or repeats a pair.
    /// </exception>
    public ByteLevelTokenizer(IEnumerable<string> specialTokens, IEnumerable<BytePairMerge> merges)
    {
        ArgumentNullException.ThrowIfNull(specialTokens);
        ArgumentNullException.ThrowIfNull(merges);
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
        BytePairMerge[] mergeList = merges.ToArray();
        if (mergeList.Length > 0)
        {
            _bpe = new BytePairModel(
                new ReadOnlyCollection<BytePairMerge>(mergeList), ByteCount + _specialTokens.Length, nameof(merges));
        }
    }

    /// <summary>
    /// Learns byte-pair merges from a corpus and returns a tokenizer with them.
    /// </summary>
    /// <param name="corpus">The training texts, for example rendered agent episodes. Null strings are skipped.</param>
    /// <param name="options">The number of merges, the minimum pair frequency and the special tokens.</param>
    /// <returns>A tokenizer with <see cref="ByteLevelTokenizerFitOptions.SpecialTokens"/> and up to
    /// <see cref="ByteLevelTokenizerFitOptions.Merges"/> merges.</returns>
    /// <remarks>
    /// Special tokens are cut out of each text first; the rest is split into pre-tokens as for encoding, and each
    /// unique pre-token is counted. Then, repeatedly, the most frequent adjacent pair of ids (counted over pre-token
    /// occurrences) becomes a new merge; ties go to the lowest left id, then the lowest right id. Fitting stops after
    /// <see cref="ByteLevelTokenizerFitOptions.Merges"/> merges or when the best pair occurs fewer than
    /// <see cref="ByteLevelTokenizerFitOptions.MinPairFrequency"/> times. The result depends only on the corpus
    /// (as a multiset of texts) and the options.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="corpus"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <see cref="ByteLevelTokenizerFitOptions.Merges"/> is negative or <see cref="ByteLevelTokenizerFitOptions.MinPairFrequency"/> is below 1.
    /// </exception>
    /// <exception cref="ArgumentException"><see cref="ByteLevelTokenizerFitOptions.SpecialTokens"/> is not a valid special-token list.</exception>
    public static ByteLevelTokenizer Fit(IEnumerable<string> corpus, ByteLevelTokenizerFitOptions options)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Merges, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MinPairFrequency, 1, nameof(options));
        ArgumentNullException.ThrowIfNull(options.SpecialTokens, nameof(options));
        var plain = new ByteLevelTokenizer(options.SpecialTokens);
        var pieceCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var lookup = pieceCounts.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (string? text in corpus)
        {
            if (text is null)
            {
                continue;
            }

            int position = 0;
            while (position < text.Length)
            {
                string? special = plain.MatchSpecial(text.AsSpan(position));
                if (special is not null)
                {
                    position += special.Length;
                    continue;
                }

                int end = plain.NextSpecialStart(text, position + 1);
                ReadOnlySpan<char> segment = text.AsSpan(position, end - position);
                foreach (System.Text.RegularExpressions.ValueMatch match in PreTokenSplitter.Regex.EnumerateMatches(segment))
                {
                    ReadOnlySpan<char> piece = segment.Slice(match.Index, match.Length);
                    lookup.TryGetValue(piece, out int count);
                    lookup[piece] = checked(count + 1);
                }

                position = end;
            }
        }

        List<BytePairMerge> merges = BytePairTrainer.Train(
            pieceCounts, ByteCount + plain._specialTokens.Length, options.Merges, options.MinPairFrequency);
        return new ByteLevelTokenizer(plain._specialTokens, merges);
    }

    /// <summary>Creates a tokenizer with <see cref="DefaultSpecialTokens"/>.</summary>
    /// <returns>A new tokenizer whose <see cref="EndOfTextId"/> is 256.</returns>
    public static ByteLevelTokenizer CreateDefault() => new(DefaultSpecialTokens);

    /// <summary>The special tokens and their ids (256 and up).</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens => _specialTokenIds;

    /// <summary>The number of ids: 256 bytes plus the special tokens plus the merges.</summary>
    public int VocabularySize => ByteCount + _specialTokens.Length + MergeCount;

    /// <summary>The number of learned byte-pair merges (0 for a plain byte-level tokenizer).</summary>
    public int MergeCount => _bpe?.Merges.Count ?? 0;

    /// <summary>The learned byte-pair merges in rank order; merge <c>k</c> has the id <see cref="FirstMergeId"/> + k.</summary>
    public IReadOnlyList<BytePairMerge> Merges => _bpe?.Merges ?? [];

    /// <summary>The id of the first merge: 256 plus the number of special tokens (= <see cref="VocabularySize"/> without merges).</summary>
    public int FirstMergeId => ByteCount + _specialTokens.Length;

    /// <summary>The UTF-8 bytes an id stands for: one byte, the bytes of a merge, or the UTF-8 of a special token.</summary>
    /// <param name="id">An id in <c>[0, VocabularySize)</c>.</param>
    /// <returns>A new array with the bytes.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside <c>[0, VocabularySize)</c>.</exception>
    public byte[] GetTokenBytes(int id)
    {
        if ((uint)id >= (uint)VocabularySize)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id {id} is outside the vocabulary [0, {VocabularySize}).");
        }

        return id < ByteCount ? [(byte)id]
            : id < FirstMergeId ? Encoding.UTF8.GetBytes(_specialTokens[id - ByteCount])
            : (byte[])_bpe!.TokenBytes[id - FirstMergeId].Clone();
    }

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
    /// <returns><see langword="true"/> if <paramref name="id"/> is in <c>[256, FirstMergeId)</c>.</returns>
    public bool IsSpecial(int id) => id >= ByteCount && id < FirstMergeId;

    /// <summary>Writes the description of this tokenizer, for checkpoints.</summary>
    /// <returns>
    /// JSON of the form <c>{"type":"byte_level","special_tokens":[...]}</c>; with merges, followed by
    /// <c>"merges":[[left,right],...]</c>, each merge as the pair of ids it joins, in rank order (ids, not byte strings:
    /// compact, and exactly what <see cref="Merges"/> holds).
    /// </returns>
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
            if (_bpe is not null)
            {
                writer.WriteStartArray("merges");
                foreach (BytePairMerge merge in _bpe.Merges)
                {
                    writer.WriteStartArray();
                    writer.WriteNumberValue(merge.Left);
                    writer.WriteNumberValue(merge.Right);
                    writer.WriteEndArray();
                }

                writer.WriteEndArray();
            }

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
    /// is missing, is not an array of strings, or is not a valid special-token list; or its optional <c>merges</c> is
    /// not an array of <c>[left, right]</c> integer pairs, or a merge refers to an id that is neither a byte nor an
    /// earlier merge, or repeats a pair.
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

            List<BytePairMerge> merges = root.TryGetProperty("merges", out JsonElement mergesElement)
                ? ReadMerges(mergesElement)
                : [];
            try
            {
                _ = new ByteLevelTokenizer(list);
            }
            catch (ArgumentException ex)
            {
                throw new FormatException($"Tokenizer description has invalid special tokens: {ex.Message}", ex);
            }

            try
            {
                return new ByteLevelTokenizer(list, merges);
            }
            catch (ArgumentException ex)
            {
                throw new FormatException($"Tokenizer description has invalid merges: {ex.Message}", ex);
            }
        }
    }

    private static List<BytePairMerge> ReadMerges(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"Tokenizer description has 'merges' of kind {element.ValueKind}; expected an array.");
        }

        var merges = new List<BytePairMerge>(element.GetArrayLength());
        foreach (JsonElement pair in element.EnumerateArray())
        {
            if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2
                || pair[0].ValueKind != JsonValueKind.Number || pair[1].ValueKind != JsonValueKind.Number
                || !pair[0].TryGetInt32(out int left) || !pair[1].TryGetInt32(out int right))
            {
                throw new FormatException(
                    $"Tokenizer description has an invalid merge at index {merges.Count}: expected [left, right] integer ids, found {pair.GetRawText()}.");
            }

            merges.Add(new BytePairMerge(left, right));
        }

        return merges;
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

        if (_bpe is not null)
        {
            return IndexFromEndMerged(span, max, out tokenCount);
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
        if (_bpe is not null)
        {
            return DecodeMerged(list);
        }

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
        if (_bpe is not null)
        {
            return DecodeMerged(list, destination, out idsConsumed, out charsWritten);
        }

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
        if (_bpe is not null)
        {
            return EncodeMerged(text, maxTokens, tokens, ids, null, out count);
        }

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

    /// <summary>
    /// The merge-path encoder: specials first, then per pre-token the cached BPE ids. A unit (the group of tokens a
    /// limit cannot split) ends where a token's bytes end on a character boundary; <paramref name="units"/> receives
    /// (token count so far, char index) at each unit end.
    /// </summary>
    private int EncodeMerged(
        ReadOnlySpan<char> text, int maxTokens, List<EncodedToken>? tokens, List<int>? ids, List<(int Tokens, int CharEnd)>? units, out int count)
    {
        count = 0;
        int position = 0;
        while (position < text.Length)
        {
            string? special = MatchSpecial(text[position..]);
            if (special is not null)
            {
                if (count + 1 > maxTokens)
                {
                    return position;
                }

                int id = _specialTokenIds[special];
                tokens?.Add(new EncodedToken(id, special, new Range(position, position + special.Length)));
                ids?.Add(id);
                count++;
                position += special.Length;
                units?.Add((count, position));
                continue;
            }

            int end = NextSpecialStart(text, position + 1);
            ReadOnlySpan<char> segment = text[position..end];
            foreach (System.Text.RegularExpressions.ValueMatch match in PreTokenSplitter.Regex.EnumerateMatches(segment))
            {
                int pieceStart = position + match.Index;
                ReadOnlySpan<char> piece = segment.Slice(match.Index, match.Length);
                int[] pieceIds = _bpe!.Encode(piece);
                if (tokens is null && units is null && count + pieceIds.Length <= maxTokens)
                {
                    ids?.AddRange(pieceIds);
                    count += pieceIds.Length;
                    continue;
                }

                int consumed = EmitPiece(piece, pieceStart, pieceIds, maxTokens, tokens, ids, units, ref count);
                if (consumed < piece.Length)
                {
                    return pieceStart + consumed;
                }
            }

            position = end;
        }

        return position;
    }

    /// <summary>Emits the tokens of one pre-token unit by unit while they fit; returns the chars of the piece consumed.</summary>
    private int EmitPiece(
        ReadOnlySpan<char> piece, int pieceStart, int[] pieceIds, int maxTokens,
        List<EncodedToken>? tokens, List<int>? ids, List<(int Tokens, int CharEnd)>? units, ref int count)
    {
        // For each byte of the piece: the char range of the character it belongs to.
        int[] map = ArrayPool<int>.Shared.Rent(piece.Length * 6);
        try
        {
            Span<int> charStart = map.AsSpan(0, piece.Length * 3);
            Span<int> charEnd = map.AsSpan(piece.Length * 3, piece.Length * 3);
            int byteLength = 0;
            for (int c = 0; c < piece.Length;)
            {
                Rune.DecodeFromUtf16(piece[c..], out Rune rune, out int used);
                for (int b = 0; b < rune.Utf8SequenceLength; b++)
                {
                    charStart[byteLength] = c;
                    charEnd[byteLength] = c + used;
                    byteLength++;
                }

                c += used;
            }

            int committed = 0, committedByte = 0, committedChar = 0, byteEnd = 0;
            for (int t = 0; t < pieceIds.Length; t++)
            {
                byteEnd += TokenLength(pieceIds[t]);
                bool boundary = byteEnd == byteLength || charStart[byteEnd] == charEnd[byteEnd - 1];
                if (!boundary)
                {
                    continue;
                }

                if (count + (t + 1 - committed) > maxTokens)
                {
                    return committedChar;
                }

                for (int u = committed; u <= t; u++)
                {
                    int id = pieceIds[u];
                    int length = TokenLength(id);
                    if (tokens is not null)
                    {
                        var offset = new Range(pieceStart + charStart[committedByte], pieceStart + charEnd[committedByte + length - 1]);
                        tokens.Add(new EncodedToken(id, TokenValue(id), offset));
                    }

                    ids?.Add(id);
                    committedByte += length;
                }

                count += t + 1 - committed;
                committed = t + 1;
                committedChar = charEnd[byteEnd - 1];
                units?.Add((count, pieceStart + committedChar));
            }

            return piece.Length;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(map);
        }
    }

    private int IndexFromEndMerged(ReadOnlySpan<char> text, int maxTokens, out int tokenCount)
    {
        var units = new List<(int Tokens, int CharEnd)>();
        EncodeMerged(text, int.MaxValue, null, null, units, out int total);
        int index = text.Length;
        tokenCount = 0;
        for (int u = units.Count - 1; u >= 0; u--)
        {
            int before = u > 0 ? units[u - 1].Tokens : 0;
            if (total - before > maxTokens)
            {
                break;
            }

            tokenCount = total - before;
            index = u > 0 ? units[u - 1].CharEnd : 0;
        }

        return index;
    }

    private int TokenLength(int id) => id < ByteCount ? 1 : _bpe!.TokenBytes[id - FirstMergeId].Length;

    private string TokenValue(int id) => id < ByteCount ? ByteTokenValues[id] : _bpe!.TokenValues[id - FirstMergeId];

    /// <summary>Appends the bytes of a byte or merge id.</summary>
    private void AppendBytes(int id, List<byte> bytes)
    {
        if (id < ByteCount)
        {
            bytes.Add((byte)id);
        }
        else
        {
            bytes.AddRange(_bpe!.TokenBytes[id - FirstMergeId]);
        }
    }

    private string DecodeMerged(IReadOnlyList<int> ids)
    {
        var builder = new StringBuilder(ids.Count * 2);
        var bytes = new List<byte>();
        foreach (int raw in ids)
        {
            int id = CheckId(raw);
            if (IsSpecial(id))
            {
                builder.Append(Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(bytes)));
                bytes.Clear();
                builder.Append(_specialTokens[id - ByteCount]);
            }
            else
            {
                AppendBytes(id, bytes);
            }
        }

        builder.Append(Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(bytes)));
        return builder.ToString();
    }

    private OperationStatus DecodeMerged(IReadOnlyList<int> ids, Span<char> destination, out int idsConsumed, out int charsWritten)
    {
        idsConsumed = 0;
        charsWritten = 0;
        var bytes = new List<byte>();
        var ends = new List<int>();
        Span<char> chars = stackalloc char[2];
        while (idsConsumed < ids.Count)
        {
            int id = CheckId(ids[idsConsumed]);
            if (IsSpecial(id))
            {
                string special = _specialTokens[id - ByteCount];
                if (special.Length > destination.Length - charsWritten)
                {
                    return OperationStatus.DestinationTooSmall;
                }

                special.CopyTo(destination[charsWritten..]);
                charsWritten += special.Length;
                idsConsumed++;
                continue;
            }

            // A run of byte and merge ids: decode it character by character, committing after each id whose bytes
            // end where a character ends (there the decoded prefix equals the decoding of the ids so far).
            bytes.Clear();
            ends.Clear();
            for (int k = idsConsumed; k < ids.Count && !IsSpecial(CheckId(ids[k])); k++)
            {
                AppendBytes(ids[k], bytes);
                ends.Add(bytes.Count);
            }

            ReadOnlySpan<byte> run = CollectionsMarshal.AsSpan(bytes);
            int runStart = idsConsumed, position = 0, pending = 0, next = 0;
            while (position < run.Length)
            {
                OperationStatus status = Rune.DecodeFromUtf8(run[position..], out Rune rune, out int consumed);
                if (status != OperationStatus.Done)
                {
                    rune = Rune.ReplacementChar;
                    consumed = Math.Max(consumed, 1);
                }

                int charCount = rune.EncodeToUtf16(chars);
                if (pending + charCount > destination.Length - charsWritten)
                {
                    return OperationStatus.DestinationTooSmall;
                }

                chars[..charCount].CopyTo(destination[(charsWritten + pending)..]);
                pending += charCount;
                position += consumed;
                while (next < ends.Count && ends[next] <= position)
                {
                    if (ends[next] == position)
                    {
                        idsConsumed = runStart + next + 1;
                        charsWritten += pending;
                        pending = 0;
                    }

                    next++;
                }
            }
        }

        return OperationStatus.Done;
    }

    /// <summary>The index of the first special token at or after <paramref name="from"/>, or the text length.</summary>
    private int NextSpecialStart(ReadOnlySpan<char> text, int from)
    {
        for (int i = from; i < text.Length; i++)
        {
            if (_specialTokensByFirstChar.ContainsKey(text[i]) && MatchSpecial(text[i..]) is not null)
            {
                return i;
            }
        }

        return text.Length;
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
