namespace Agentic.Core.Inference;

/// <summary>
/// Key/value tensors of token sequences an <see cref="OnnxPolicySession"/> has already run, kept so that a later
/// prompt starting with the same tokens prefills only the rest. Keys and values at a position depend only on the
/// tokens up to it, so any common prefix of a stored sequence and a prompt can be reused. Bounded by a number of
/// positions; the least recently used sequences go first. Thread-safe.
/// </summary>
internal sealed class PrefixKvStore(int capacityTokens, int layers, int kvHeads, int headDim)
{
    /// <summary>A stored sequence: its tokens and, per layer, keys and values laid out [kv_heads, positions, head_dim].</summary>
    internal sealed record Entry(int[] Tokens, float[][] Keys, float[][] Values);

    private readonly LinkedList<Entry> _entries = new(); // most recently used first
    private readonly object _lock = new();
    private long _tokens;

    public int Layers => layers;

    public int KvHeads => kvHeads;

    public int HeadDim => headDim;

    /// <summary>
    /// The stored sequence sharing the longest prefix with <paramref name="prompt"/>, and the length of that prefix,
    /// at most <paramref name="maxLength"/>; (null, 0) when none shares a token.
    /// </summary>
    public (Entry? Entry, int Length) Find(IReadOnlyList<int> prompt, int maxLength)
    {
        lock (_lock)
        {
            LinkedListNode<Entry>? best = null;
            int bestLength = 0;
            for (var node = _entries.First; node is not null; node = node.Next)
            {
                var tokens = node.Value.Tokens;
                int limit = Math.Min(Math.Min(tokens.Length, prompt.Count), maxLength);
                int n = 0;
                while (n < limit && tokens[n] == prompt[n]) n++;
                if (n > bestLength)
                {
                    best = node;
                    bestLength = n;
                    if (n == maxLength) break;
                }
            }
            if (best is null) return (null, 0);
            _entries.Remove(best);
            _entries.AddFirst(best);
            return (best.Value, bestLength);
        }
    }

    /// <summary>Stores a sequence, dropping the least recently used ones beyond the budget (a sequence longer than the
    /// whole budget is not stored).</summary>
    public void Add(Entry entry)
    {
        if (entry.Tokens.Length == 0 || entry.Tokens.Length > capacityTokens) return;
        lock (_lock)
        {
            // A stored sequence the new one extends is redundant now.
            for (var node = _entries.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.Tokens.Length <= entry.Tokens.Length && node.Value.Tokens.AsSpan().SequenceEqual(entry.Tokens.AsSpan(0, node.Value.Tokens.Length)))
                {
                    _entries.Remove(node);
                    _tokens -= node.Value.Tokens.Length;
                }
                node = next;
            }
            _entries.AddFirst(entry);
            _tokens += entry.Tokens.Length;
            while (_tokens > capacityTokens && _entries.Last is { } last)
            {
                _entries.RemoveLast();
                _tokens -= last.Value.Tokens.Length;
            }
        }
    }

    /// <summary>Number of stored sequences.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _entries.Count;
        }
    }
}
