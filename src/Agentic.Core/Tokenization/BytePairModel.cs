using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Agentic.Core.Tokenization;

/// <summary>
/// The merge table of a <see cref="ByteLevelTokenizer"/>: applies merges by rank to one pre-token, with a bounded,
/// thread-safe cache of pre-token to ids.
/// </summary>
internal sealed class BytePairModel
{
    /// <summary>Cached pre-tokens at most; when full the cache is cleared and starts over.</summary>
    private const int CacheCapacity = 1 << 16;

    /// <summary>Longer pre-tokens (long whitespace or symbol runs) are encoded every time, not cached.</summary>
    private const int MaxCachedLength = 128;

    private readonly Dictionary<long, int> _ranks;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private int _cacheCount;

    /// <summary>Validates the merges and builds the table.</summary>
    /// <exception cref="ArgumentException">A merge refers to an id that is neither a byte nor an earlier merge, or repeats a pair.</exception>
    public BytePairModel(IReadOnlyList<BytePairMerge> merges, int firstMergeId, string paramName)
    {
        Merges = merges;
        FirstMergeId = firstMergeId;
        TokenBytes = new byte[merges.Count][];
        _ranks = new Dictionary<long, int>(merges.Count);
        for (int k = 0; k < merges.Count; k++)
        {
            BytePairMerge merge = merges[k];
            byte[] left = PartBytes(merge.Left, k, paramName);
            byte[] right = PartBytes(merge.Right, k, paramName);
            if (!_ranks.TryAdd(Key(merge.Left, merge.Right), k))
            {
                throw new ArgumentException(
                    $"Merge {k} ({merge.Left}, {merge.Right}) repeats merge {_ranks[Key(merge.Left, merge.Right)]}.", paramName);
            }

            TokenBytes[k] = [.. left, .. right];
        }

        TokenValues = TokenBytes.Select(DescribeBytes).ToArray();
        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The merges in rank order.</summary>
    public IReadOnlyList<BytePairMerge> Merges { get; }

    /// <summary>The id of merge 0.</summary>
    public int FirstMergeId { get; }

    /// <summary>The bytes of each merge token, by rank.</summary>
    public byte[][] TokenBytes { get; }

    /// <summary>The <see cref="Microsoft.ML.Tokenizers.EncodedToken.Value"/> of each merge token, by rank.</summary>
    public string[] TokenValues { get; }

    /// <summary>The pair key: left id in the high half, right id in the low half (so keys order by left, then right).</summary>
    public static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>
    /// Writes the UTF-8 bytes of <paramref name="text"/>, a lone surrogate becoming U+FFFD, as ids into
    /// <paramref name="destination"/> (at least three per char); returns the count.
    /// </summary>
    public static int Utf8Ids(ReadOnlySpan<char> text, Span<int> destination)
    {
        Span<byte> utf8 = stackalloc byte[4];
        int n = 0;
        for (int i = 0; i < text.Length;)
        {
            Rune.DecodeFromUtf16(text[i..], out Rune rune, out int used);
            int count = rune.EncodeToUtf8(utf8);
            for (int b = 0; b < count; b++)
            {
                destination[n++] = utf8[b];
            }

            i += used;
        }

        return n;
    }

    /// <summary>The ids of one pre-token (never empty); the returned array is shared and must not be changed.</summary>
    public int[] Encode(ReadOnlySpan<char> piece)
    {
        if (piece.Length > MaxCachedLength)
        {
            return EncodeUncached(piece);
        }

        if (_cacheLookup.TryGetValue(piece, out int[]? cached))
        {
            return cached;
        }

        int[] ids = EncodeUncached(piece);
        if (Interlocked.Increment(ref _cacheCount) > CacheCapacity)
        {
            _cache.Clear();
            Interlocked.Exchange(ref _cacheCount, 1);
        }

        _cacheLookup.TryAdd(piece, ids);
        return ids;
    }

    /// <summary>Standard BPE: while some adjacent pair has a merge, merge every occurrence of the lowest-ranked one.</summary>
    private int[] EncodeUncached(ReadOnlySpan<char> piece)
    {
        var symbols = new int[piece.Length * 3];
        int length = Utf8Ids(piece, symbols);
        while (length > 1)
        {
            int bestRank = int.MaxValue;
            for (int i = 0; i + 1 < length; i++)
            {
                if (_ranks.TryGetValue(Key(symbols[i], symbols[i + 1]), out int rank) && rank < bestRank)
                {
                    bestRank = rank;
                }
            }

            if (bestRank == int.MaxValue)
            {
                break;
            }

            length = MergeAll(symbols, length, Merges[bestRank].Left, Merges[bestRank].Right, FirstMergeId + bestRank);
        }

        return symbols[..length];
    }

    /// <summary>Replaces every non-overlapping occurrence of (left, right), left to right, by merged; returns the new length.</summary>
    public static int MergeAll(int[] symbols, int length, int left, int right, int merged)
    {
        int write = 0;
        for (int read = 0; read < length; read++)
        {
            if (read + 1 < length && symbols[read] == left && symbols[read + 1] == right)
            {
                symbols[write++] = merged;
                read++;
            }
            else
            {
                symbols[write++] = symbols[read];
            }
        }

        return write;
    }

    private byte[] PartBytes(int id, int rank, string paramName)
    {
        if (id >= 0 && id < ByteLevelTokenizer.ByteCount)
        {
            return [(byte)id];
        }

        if (id >= FirstMergeId && id < FirstMergeId + rank)
        {
            return TokenBytes[id - FirstMergeId];
        }

        throw new ArgumentException(
            $"Merge {rank} refers to id {id}, which is neither a byte (0..255) nor an earlier merge " +
            $"({FirstMergeId}..{FirstMergeId + rank - 1}).", paramName);
    }

    /// <summary>Valid UTF-8 as text, every other byte as <c>&lt;0xHH&gt;</c>.</summary>
    private static string DescribeBytes(byte[] bytes)
    {
        var builder = new StringBuilder(bytes.Length);
        for (int i = 0; i < bytes.Length;)
        {
            if (Rune.DecodeFromUtf8(bytes.AsSpan(i), out Rune rune, out int used) == System.Buffers.OperationStatus.Done)
            {
                builder.Append(rune.ToString());
                i += used;
            }
            else
            {
                builder.Append(CultureInfo.InvariantCulture, $"<0x{bytes[i]:X2}>");
                i++;
            }
        }

        return builder.ToString();
    }
}
