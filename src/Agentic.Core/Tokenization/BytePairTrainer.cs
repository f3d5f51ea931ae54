using System.Runtime.InteropServices;

namespace Agentic.Core.Tokenization;

/// <summary>Learns byte-pair merges from pre-token frequencies (see <see cref="ByteLevelTokenizer.Fit"/>).</summary>
/// <remarks>
/// Each unique pre-token is stored once with its count. Pair counts are kept up to date incrementally: a merge only
/// re-counts the pre-tokens that hold its pair (found through a pair-to-pre-tokens index), and the best pair comes from
/// a priority queue with lazy deletion. Ties go to the lowest pair: lowest left id, then lowest right id.
/// </remarks>
internal static class BytePairTrainer
{
    public static List<BytePairMerge> Train(Dictionary<string, int> pieceCounts, int firstMergeId, int maxMerges, int minFrequency)
    {
        // Sort the pre-tokens so that everything below is independent of dictionary order.
        string[] pieces = pieceCounts.Keys.Order(StringComparer.Ordinal).ToArray();
        var words = new int[pieces.Length][];
        var lengths = new int[pieces.Length];
        var counts = new long[pieces.Length];
        var pairCounts = new Dictionary<long, long>();
        var pairWords = new Dictionary<long, List<int>>();
        for (int w = 0; w < pieces.Length; w++)
        {
            var symbols = new int[pieces[w].Length * 3];
            lengths[w] = BytePairModel.Utf8Ids(pieces[w], symbols);
            words[w] = symbols;
            counts[w] = pieceCounts[pieces[w]];
            for (int i = 0; i + 1 < lengths[w]; i++)
            {
                long key = BytePairModel.Key(symbols[i], symbols[i + 1]);
                CollectionsMarshal.GetValueRefOrAddDefault(pairCounts, key, out _) += counts[w];
                AddWord(pairWords, key, w);
            }
        }

        var queue = new PriorityQueue<long, (long Count, long Key)>(
            pairCounts.Select(p => (p.Key, (p.Value, p.Key))), PriorityComparer.Instance);
        var merges = new List<BytePairMerge>(maxMerges);
        var delta = new Dictionary<long, long>();
        while (merges.Count < maxMerges && queue.TryDequeue(out long best, out (long Count, long Key) priority))
        {
            if (!pairCounts.TryGetValue(best, out long current) || current != priority.Count)
            {
                continue; // stale entry
            }

            if (current < minFrequency)
            {
                break;
            }

            int left = (int)(best >> 32), right = (int)(uint)best;
            int merged = firstMergeId + merges.Count;
            merges.Add(new BytePairMerge(left, right));
            pairWords.Remove(best, out List<int>? affected);
            delta.Clear();
            foreach (int w in affected!)
            {
                int[] symbols = words[w];
                int length = lengths[w];
                if (!Contains(symbols, length, left, right))
                {
                    continue; // stale or duplicate index entry
                }

                for (int i = 0; i + 1 < length; i++)
                {
                    CollectionsMarshal.GetValueRefOrAddDefault(delta, BytePairModel.Key(symbols[i], symbols[i + 1]), out _) -= counts[w];
                }

                length = lengths[w] = BytePairModel.MergeAll(symbols, length, left, right, merged);
                for (int i = 0; i + 1 < length; i++)
                {
                    long key = BytePairModel.Key(symbols[i], symbols[i + 1]);
                    CollectionsMarshal.GetValueRefOrAddDefault(delta, key, out _) += counts[w];
                    if (symbols[i] == merged || symbols[i + 1] == merged)
                    {
                        AddWord(pairWords, key, w);
                    }
                }
            }

            foreach ((long key, long change) in delta)
            {
                if (change == 0)
                {
                    continue;
                }

                ref long count = ref CollectionsMarshal.GetValueRefOrAddDefault(pairCounts, key, out _);
                count += change;
                if (count <= 0)
                {
                    pairCounts.Remove(key);
                }
                else
                {
                    queue.Enqueue(key, (count, key));
                }
            }
        }

        return merges;
    }

    private static void AddWord(Dictionary<long, List<int>> pairWords, long key, int word)
    {
        ref List<int>? list = ref CollectionsMarshal.GetValueRefOrAddDefault(pairWords, key, out _);
        list ??= [];
        if (list.Count == 0 || list[^1] != word)
        {
            list.Add(word);
        }
    }

    private static bool Contains(int[] symbols, int length, int left, int right)
    {
        for (int i = 0; i + 1 < length; i++)
        {
            if (symbols[i] == left && symbols[i + 1] == right)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Highest count first; among equal counts, the lowest key (left id, then right id).</summary>
    private sealed class PriorityComparer : IComparer<(long Count, long Key)>
    {
        public static readonly PriorityComparer Instance = new();

        public int Compare((long Count, long Key) x, (long Count, long Key) y) =>
            x.Count != y.Count ? y.Count.CompareTo(x.Count) : x.Key.CompareTo(y.Key);
    }
}
