using static TorchSharp.torch;

namespace Agentic.Rl.Modeling;

/// <summary>
/// Per-layer key/value cache for incremental decoding. Holds keys and values shaped [B, H_kv, S, D]; each forward pass
/// with a cache appends the new positions. The cache owns its tensors (they live outside any dispose scope) and
/// releases them on <see cref="Dispose"/>.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;

    /// <summary>Creates an empty cache for <paramref name="layers"/> layers.</summary>
    public KvCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
    }

    /// <summary>The last token of each row [B, 1] (int64); read by the previous-token embedding.</summary>
    internal Tensor? LastTokens { get; private set; }

    /// <summary>Records the last token [B, 1] of each row (whether it is padding is read from the attention mask).</summary>
    internal void SetLastTokens(Tensor lastIds)
    {
        var old = LastTokens;
        LastTokens = lastIds.detach().clone().DetachFromDisposeScope();
        old?.Dispose();
    }

    /// <summary>Number of cached positions (0 when empty).</summary>
    public long Length => _keys[0]?.shape[2] ?? 0;

    /// <summary>Appends new keys and values for one layer and returns the full cached keys and values.</summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        var oldK = _keys[layer];
        var oldV = _values[layer];
        var k = oldK is null ? keys : cat([oldK, keys], 2);
        var v = oldV is null ? values : cat([oldV, values], 2);
        // The cache keeps detached copies; the caller attends with the (possibly grad-carrying) concatenation.
        _keys[layer] = k.detach().DetachFromDisposeScope();
        _values[layer] = v.detach().DetachFromDisposeScope();
        oldK?.Dispose();
        oldV?.Dispose();
        return (k, v);
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
            if (_keys[i] is { } k)
            {
                _keys[i] = k.index_select(0, rows).DetachFromDisposeScope();
                k.Dispose();
            }
            if (_values[i] is { } v)
            {
                _values[i] = v.index_select(0, rows).DetachFromDisposeScope();
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
        }
        LastTokens?.Dispose();
        LastTokens = null;
    }
}
