using static TorchSharp.torch;

namespace Agentic.Rl.Modeling;

/// <summary>
/// Per-layer key/value cache for incremental decoding. Holds keys and values shaped [B, H_kv, S, D]; each forward pass
/// with a cache appends the new positions. The cache owns its tensors (they live outside any dispose scope) and
/// releases them on <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// Positions are written in place into buffers with spare room (grown by <see cref="GrowthPositions"/> at a time), so
/// a decoding step copies one position per layer instead of the whole cache.
/// </remarks>
public sealed class KvCache : IDisposable
{
    /// <summary>Spare positions allocated beyond what an append needs when a buffer grows.</summary>
    internal const int GrowthPositions = 128;

    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;
    private readonly long[] _lengths;

    /// <summary>Creates an empty cache for <paramref name="layers"/> layers.</summary>
    public KvCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
        _lengths = new long[layers];
    }

    /// <summary>The last tokens of each row [B, W] (int64, W = the model's previous-token window; "none" before the
    /// sequence's start); read by the previous-token embeddings.</summary>
    internal Tensor? LastTokens { get; private set; }

    /// <summary>Records the last tokens [B, W] of each row (whether they are padding is read from the attention mask).</summary>
    internal void SetLastTokens(Tensor lastIds)
    {
        var old = LastTokens;
        LastTokens = lastIds.detach().clone().DetachFromDisposeScope();
        old?.Dispose();
    }

    /// <summary>Number of cached positions (0 when empty).</summary>
    public long Length => _lengths[0];

    /// <summary>
    /// Appends new keys and values for one layer and returns the full cached keys and values. Without gradients these are
    /// views of the cache's buffers (valid until the next append or row selection); when the new keys or values carry
    /// gradients, the cached positions (detached) are concatenated with them so gradients reach the new positions.
    /// </summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        long past = _lengths[layer];
        long length = past + keys.shape[2];
        _keys[layer] = Write(_keys[layer], keys, past, length);
        _values[layer] = Write(_values[layer], values, past, length);
        _lengths[layer] = length;
        if (keys.requires_grad || values.requires_grad)
        {
            if (past == 0) return (keys, values);
            return (cat([_keys[layer]!.narrow(2, 0, past), keys], 2), cat([_values[layer]!.narrow(2, 0, past), values], 2));
        }
        return (_keys[layer]!.narrow(2, 0, length), _values[layer]!.narrow(2, 0, length));
    }

    /// <summary>Writes <paramref name="update"/> at positions [past, length) of <paramref name="buffer"/>, growing it when full.</summary>
    private static Tensor Write(Tensor? buffer, Tensor update, long past, long length)
    {
        using var scope = NewDisposeScope();
        if (buffer is not null && buffer.shape[0] != update.shape[0])
            throw new ArgumentException($"The cache holds {buffer.shape[0]} rows; the new positions have {update.shape[0]} (select rows first).");
        if (buffer is null || buffer.shape[2] < length)
        {
            var shape = update.shape.ToArray();
            shape[2] = length + GrowthPositions;
            var grown = empty(shape, dtype: update.dtype, device: update.device);
            if (past > 0) grown.narrow(2, 0, past).copy_(buffer!.narrow(2, 0, past));
            buffer?.Dispose();
            buffer = grown.DetachFromDisposeScope();
        }
        using (no_grad()) buffer.narrow(2, past, length - past).copy_(update.detach());
        return buffer;
    }

    /// <summary>Keeps only the batch rows in <paramref name="rows"/> (in that order), for example when some sequences
    /// of a batch have finished and no longer need decoding.</summary>
    /// <param name="rows">Row indices (int64) into the current batch.</param>
    public void SelectRows(Tensor rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (LastTokens is { } last)
        {
            LastTokens = last.index_select(0, rows).DetachFromDisposeScope();
            last.Dispose();
        }
        for (int i = 0; i < _keys.Length; i++)
        {
            // Only the filled positions are copied; the next append grows the buffers again.
            if (_keys[i] is { } k)
            {
                _keys[i] = k.narrow(2, 0, _lengths[i]).index_select(0, rows).DetachFromDisposeScope();
                k.Dispose();
            }
            if (_values[i] is { } v)
            {
                _values[i] = v.narrow(2, 0, _lengths[i]).index_select(0, rows).DetachFromDisposeScope();
                v.Dispose();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        for (int i = 0; i < _keys.Length; i++)
        {
            _keys[i]?.Dispose();
            _values[i]?.Dispose();
            _keys[i] = _values[i] = null;
            _lengths[i] = 0;
        }
        LastTokens?.Dispose();
        LastTokens = null;
    }
}
