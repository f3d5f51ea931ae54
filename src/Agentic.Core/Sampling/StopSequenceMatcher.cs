namespace Agentic.Core.Sampling;

/// <summary>
/// Decides whether generation must stop, from the generated token ids alone (stop tokens and stop sequences of
/// <see cref="SamplingOptions"/>); text is never decoded.
/// </summary>
/// <remarks>The matcher copies the options' lists on construction and is immutable, so it is safe to share between threads.</remarks>
public sealed class StopSequenceMatcher
{
    private readonly HashSet<int> _stopTokenIds;
    private readonly int[][] _stopSequences;

    /// <summary>Initializes a matcher from the stop token ids and stop sequences of <paramref name="options"/>.</summary>
    /// <param name="options">The sampling options; validated with <see cref="SamplingOptions.Validate"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="options"/> is invalid.</exception>
    public StopSequenceMatcher(SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _stopTokenIds = [.. options.StopTokenIds];
        _stopSequences = [.. options.StopSequences.Select(s => s.ToArray()).OrderByDescending(s => s.Length)];
    }

    /// <summary>Gets a value indicating whether the matcher has no stop token and no stop sequence (it never stops).</summary>
    public bool IsEmpty => _stopTokenIds.Count == 0 && _stopSequences.Length == 0;

    /// <summary>Checks whether <paramref name="generated"/> ends with a stop token or a stop sequence.</summary>
    /// <param name="generated">The ids generated so far (the prompt excluded, so a stop sequence in the prompt does not match).</param>
    /// <param name="matchLength">
    /// The number of trailing ids that form the stop: 1 for a stop token, the sequence length for a stop sequence, the
    /// longest one when several match; 0 when there is no match.
    /// </param>
    /// <returns><see langword="true"/> when generation must stop.</returns>
    public bool IsStop(ReadOnlySpan<int> generated, out int matchLength)
    {
        // Sequences are sorted longest first, so the first match is the longest; a stop token is a match of length 1.
        foreach (int[] sequence in _stopSequences)
        {
            if (sequence.Length > 1 && generated.EndsWith(sequence))
            {
                matchLength = sequence.Length;
                return true;
            }
        }

        if (!generated.IsEmpty && (_stopTokenIds.Contains(generated[^1]) || EndsWithSingleTokenSequence(generated[^1])))
        {
            matchLength = 1;
            return true;
        }

        matchLength = 0;
        return false;
    }

    private bool EndsWithSingleTokenSequence(int last)
    {
        foreach (int[] sequence in _stopSequences)
        {
            if (sequence.Length == 1 && sequence[0] == last)
            {
                return true;
            }
        }

        return false;
    }
}
