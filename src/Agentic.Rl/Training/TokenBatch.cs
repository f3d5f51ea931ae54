using Agentic.Core.Chat;
using static TorchSharp.torch;

namespace Agentic.Rl.Training;

/// <summary>
/// A right-padded batch for next-token training: inputs are ids[:-1], targets ids[1:], and targets that are padding
/// or not produced by the policy (loss mask false) are set to <see cref="IgnoreIndex"/>.
/// </summary>
/// <remarks>
/// Right padding needs no attention mask: the causal mask already keeps real tokens from seeing the padding that
/// follows them, and padded positions carry no loss.
/// </remarks>
public sealed class TokenBatch : IDisposable
{
    /// <summary>Target value that the loss ignores.</summary>
    public const long IgnoreIndex = -100;

    private TokenBatch(Tensor inputs, Tensor targets, long lossTokens, long tokens)
    {
        Inputs = inputs;
        Targets = targets;
        LossTokens = lossTokens;
        Tokens = tokens;
    }

    /// <summary>Input ids [B, L-1].</summary>
    public Tensor Inputs { get; }

    /// <summary>Target ids [B, L-1] with <see cref="IgnoreIndex"/> where no loss applies.</summary>
    public Tensor Targets { get; }

    /// <summary>Number of target tokens that carry loss.</summary>
    public long LossTokens { get; }

    /// <summary>Number of real (non-padding) input tokens.</summary>
    public long Tokens { get; }

    /// <summary>Builds a batch from tokenized conversations.</summary>
    /// <exception cref="ArgumentException">A sequence is shorter than two tokens.</exception>
    public static TokenBatch Create(IReadOnlyList<TokenizedConversation> sequences, int padTokenId)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0) throw new ArgumentException("A batch needs at least one sequence.", nameof(sequences));
        int length = sequences.Max(s => s.Count) - 1;
        if (sequences.Any(s => s.Count < 2)) throw new ArgumentException("Every sequence needs at least two tokens.", nameof(sequences));
        var inputs = new long[sequences.Count * length];
        var targets = new long[sequences.Count * length];
        long lossTokens = 0, tokens = 0;
        for (int b = 0; b < sequences.Count; b++)
        {
            var s = sequences[b];
            for (int i = 0; i < length; i++)
            {
                int o = b * length + i;
                if (i + 1 < s.Count)
                {
                    inputs[o] = s.Ids[i];
                    bool trained = s.LossMask[i + 1];
                    targets[o] = trained ? s.Ids[i + 1] : IgnoreIndex;
                    if (trained) lossTokens++;
                    tokens++;
                }
                else
                {
                    inputs[o] = padTokenId;
                    targets[o] = IgnoreIndex;
                }
            }
        }
        return new TokenBatch(tensor(inputs, [sequences.Count, length]), tensor(targets, [sequences.Count, length]), lossTokens, tokens);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
    }
}
