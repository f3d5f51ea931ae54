using static TorchSharp.torch;

namespace Agentic.Rl.Modeling;

/// <summary>
/// Rotary position embeddings (RoPE, rotate-half convention as in LLaMA/Qwen): precomputed cosine and sine tables,
/// gathered by explicit position ids so that left-padded batches and incremental decoding use true positions.
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor _cos;
    private readonly Tensor _sin;

    /// <summary>Builds tables for <paramref name="maxPositions"/> positions of a head of width <paramref name="headDim"/>.</summary>
    public RotaryEmbedding(int headDim, int maxPositions, double theta)
    {
        using var scope = NewDisposeScope();
        var invFreq = 1.0 / pow(theta, arange(0, headDim, 2, dtype: float64) / headDim);
        var t = arange(maxPositions, dtype: float64);
        var freqs = outer(t, invFreq);
        var emb = cat([freqs, freqs], -1);
        _cos = emb.cos().to(float32).DetachFromDisposeScope();
        _sin = emb.sin().to(float32).DetachFromDisposeScope();
    }

    /// <summary>Cosine and sine tables for <paramref name="positionIds"/> [B, T], shaped [B, 1, T, D].</summary>
    public (Tensor Cos, Tensor Sin) Lookup(Tensor positionIds)
    {
        var flat = positionIds.reshape(-1);
        var shape = new long[] { positionIds.shape[0], 1, positionIds.shape[1], _cos.shape[1] };
        return (_cos.index_select(0, flat).reshape(shape), _sin.index_select(0, flat).reshape(shape));
    }

    /// <summary>Applies the rotation to <paramref name="x"/> [B, H, T, D].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        var half = x.shape[^1] / 2;
        var x1 = x[.., .., .., ..(int)half];
        var x2 = x[.., .., .., (int)half..];
        var rotated = cat([-x2, x1], -1);
        return (x * cos).Plus(rotated * sin);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
    }
}
