using Agentic.Core.Inference;
using FsCheck.Xunit;

namespace Agentic.Core.Tests.Inference;

public class PrefixKvStoreTests
{
    private static PrefixKvStore.Entry Entry(params int[] tokens) =>
        new(tokens, [new float[tokens.Length]], [new float[tokens.Length]]);

    [Fact]
    public void Find_returns_the_longest_shared_prefix_capped_by_the_limit()
    {
        var store = new PrefixKvStore(capacityTokens: 100, layers: 1, kvHeads: 1, headDim: 1);
        var shortEntry = Entry(1, 2, 3);
        var longEntry = Entry(1, 2, 3, 4, 5, 6);
        store.Add(Entry(9, 9));
        store.Add(shortEntry);
        store.Add(Entry(1, 2, 7, 7, 7));

        // (1,2,3) is a prefix of the longer sequence and leaves when it arrives.
        store.Add(longEntry);
        Assert.Equal(3, store.Count);

        var (entry, length) = store.Find([1, 2, 3, 4, 9], maxLength: 4);
        Assert.Same(longEntry, entry);
        Assert.Equal(4, length);
        Assert.Equal(2, store.Find([1, 2, 3, 4, 9], maxLength: 2).Length);
        Assert.Equal(4, store.Find([1, 2, 7, 7, 9], maxLength: 10).Length);
        Assert.Equal((null, 0), store.Find([8, 1, 2], maxLength: 2));
    }

    [Fact]
    public void The_least_recently_used_sequences_leave_first_beyond_the_budget()
    {
        var store = new PrefixKvStore(capacityTokens: 6, layers: 1, kvHeads: 1, headDim: 1);
        store.Add(Entry(1, 1, 1));
        store.Add(Entry(2, 2, 2));
        Assert.Equal(3, store.Find([1, 1, 1, 5], 3).Length); // (1,1,1) is now the most recently used
        store.Add(Entry(3, 3));
        Assert.Equal(2, store.Count);
        Assert.Equal(0, store.Find([2, 2, 2, 5], 3).Length);
        Assert.Equal(3, store.Find([1, 1, 1, 5], 3).Length);

        store.Add(Entry(4, 4, 4, 4, 4, 4, 4)); // longer than the whole budget: not stored, nothing dropped
        Assert.Equal(2, store.Count);
    }

    /// <summary>Over random stored sequences and prompts (tokens from a tiny alphabet so prefixes are shared often),
    /// the length found is the longest common prefix within the limit and the entry returned really has it.</summary>
    [Property(Replay = "(9180274411237,29011)", MaxTest = 300)]
    public bool Found_length_is_the_longest_common_prefix_within_the_limit(byte[][] stored, byte[] prompt, byte rawLimit)
    {
        int[] Tokens(byte[] bytes) => bytes.Select(b => b % 3).ToArray();
        var sequences = (stored ?? []).Where(b => b is not null).Select(Tokens).ToArray();
        var query = Tokens(prompt ?? []);
        int limit = rawLimit % 9;
        var store = new PrefixKvStore(capacityTokens: 100_000, layers: 1, kvHeads: 1, headDim: 1);
        foreach (var tokens in sequences) store.Add(Entry(tokens));
        var (entry, length) = store.Find(query, limit);
        int best = sequences.Select(t => CommonPrefix(t, query, limit)).DefaultIfEmpty(0).Max();
        return length == best && (length == 0 ? entry is null : entry!.Tokens.Take(length).SequenceEqual(query.Take(length)));
    }

    private static int CommonPrefix(int[] a, int[] b, int limit)
    {
        int n = 0;
        while (n < Math.Min(Math.Min(a.Length, b.Length), limit) && a[n] == b[n]) n++;
        return n;
    }
}
