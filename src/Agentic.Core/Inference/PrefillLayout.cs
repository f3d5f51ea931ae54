using Agentic.Core.Generation;
using Microsoft.ML.OnnxRuntime;

namespace Agentic.Core.Inference;

/// <summary>
/// Where the prompts of one <see cref="OnnxPolicySession.Generate"/> call sit before the first pass: [batch, Width]
/// columns of which the first <see cref="PastLength"/> are positions whose keys and values come from the
/// <see cref="PrefixKvStore"/> (each row's reused prefix right-aligned) and the last <see cref="NewLength"/> the
/// tokens the prefill runs (each row's remaining prompt, left-padded). Without reuse it is the plain left-padded batch.
/// </summary>
internal sealed class PrefillLayout
{
    private readonly PrefixKvStore.Entry?[] _entries;
    private readonly int[] _reused;

    private PrefillLayout(long[] newIds, long[] mask, long[] newPositions, int width, int newLength, PrefixKvStore.Entry?[] entries, int[] reused)
    {
        NewIds = newIds;
        Mask = mask;
        NewPositions = newPositions;
        Width = width;
        NewLength = newLength;
        _entries = entries;
        _reused = reused;
    }

    /// <summary>Token ids of the columns the prefill runs, [batch, NewLength] (padding included).</summary>
    public long[] NewIds { get; }

    /// <summary>1 for a real position (reused or new), 0 for padding, [batch, Width].</summary>
    public long[] Mask { get; }

    /// <summary>Position ids of the columns the prefill runs (real tokens counted from the start of each prompt; 0 on
    /// padding), [batch, NewLength].</summary>
    public long[] NewPositions { get; }

    /// <summary>Number of columns.</summary>
    public int Width { get; }

    /// <summary>Number of trailing columns the prefill runs.</summary>
    public int NewLength { get; }

    /// <summary>Number of prompt tokens served from the store (summed over rows).</summary>
    public long ReusedTokens => _reused.Sum(n => (long)n);

    /// <summary>Number of leading columns served from the store.</summary>
    public int PastLength => Width - NewLength;

    /// <summary>
    /// Looks every prompt up in <paramref name="store"/> (a prompt reuses at most all but its last token, whose logits
    /// the first sample needs) and lays out the batch; falls back to the plain layout when reuse would not shorten the
    /// prefill.
    /// </summary>
    public static PrefillLayout Plan(IReadOnlyList<IReadOnlyList<int>> prompts, DecodingBatch decoding, PrefixKvStore? store, int padTokenId)
    {
        int batch = decoding.Size;
        var entries = new PrefixKvStore.Entry?[batch];
        var reused = new int[batch];
        int pastLength = 0, newLength = 0;
        if (store is not null)
        {
            for (int b = 0; b < batch; b++)
            {
                (entries[b], reused[b]) = store.Find(prompts[b], prompts[b].Count - 1);
                pastLength = Math.Max(pastLength, reused[b]);
                newLength = Math.Max(newLength, prompts[b].Count - reused[b]);
            }
        }
        if (pastLength == 0 || newLength >= decoding.PromptLength)
        {
            return new PrefillLayout(decoding.PromptIds, decoding.PromptMask, decoding.PromptPositions, decoding.PromptLength, decoding.PromptLength,
                new PrefixKvStore.Entry?[batch], new int[batch]);
        }

        int width = pastLength + newLength;
        var ids = new long[batch * newLength];
        var mask = new long[batch * width];
        var positions = new long[batch * newLength];
        Array.Fill(ids, padTokenId);
        for (int b = 0; b < batch; b++)
        {
            var prompt = prompts[b];
            mask.AsSpan(b * width + pastLength - reused[b], reused[b]).Fill(1);
            int rest = prompt.Count - reused[b];
            for (int j = 0; j < rest; j++)
            {
                int column = newLength - rest + j;
                ids[b * newLength + column] = prompt[reused[b] + j];
                mask[b * width + pastLength + column] = 1;
                positions[b * newLength + column] = reused[b] + j;
            }
        }
        return new PrefillLayout(ids, mask, positions, width, newLength, entries, reused);
    }

    /// <summary>
    /// The <c>past_key_values.*</c> inputs of the prefill (key then value, per layer), [batch, kv_heads, PastLength,
    /// head_dim] with each row's reused positions right-aligned and zeros (masked) before them; null without reuse.
    /// </summary>
    public PastValues? CreatePastValues(int layers, int kvHeads, int headDim)
    {
        if (PastLength == 0) return null;
        int batch = _entries.Length, past = PastLength;
        var values = new List<OrtValue>(2 * layers);
        try
        {
            for (int layer = 0; layer < layers; layer++)
            {
                for (int kind = 0; kind < 2; kind++)
                {
                    var data = new float[batch * kvHeads * past * headDim];
                    for (int b = 0; b < batch; b++)
                    {
                        if (_entries[b] is not { } entry || _reused[b] == 0) continue;
                        var source = kind == 0 ? entry.Keys[layer] : entry.Values[layer];
                        int stored = entry.Tokens.Length, n = _reused[b];
                        for (int h = 0; h < kvHeads; h++)
                        {
                            source.AsSpan(h * stored * headDim, n * headDim)
                                .CopyTo(data.AsSpan((((b * kvHeads) + h) * past + (past - n)) * headDim, n * headDim));
                        }
                    }
                    values.Add(OrtValue.CreateTensorValueFromMemory(data, [batch, kvHeads, past, headDim]));
                }
            }
        }
        catch
        {
            foreach (var value in values) value.Dispose();
            throw;
        }
        return new PastValues(values);
    }

    /// <summary>The reused keys and values as ONNX Runtime inputs; disposing releases them.</summary>
    internal sealed class PastValues(IReadOnlyList<OrtValue> values) : IDisposable
    {
        public IReadOnlyList<OrtValue> Values { get; } = values;

        public void Dispose()
        {
            foreach (var value in Values) value.Dispose();
        }
    }
}
