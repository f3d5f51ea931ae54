namespace Agentic.Training.Tasks.Addition;

/// <summary>
/// Multi-digit addition written as a chat ("What is 123+456?" answered "579"): a built-in synthetic task for warm
/// starts, smoke tests and measuring that a policy learns. Problems are drawn from a seeded random stream; a fixed
/// hash of the operand pair puts <see cref="AdditionTaskOptions.HeldOutFraction"/> of all pairs in a held-out split
/// that training never sees.
/// </summary>
public sealed class AdditionTask
{
    private readonly AdditionTaskOptions _options;

    /// <summary>Creates the task.</summary>
    public AdditionTask(AdditionTaskOptions? options = null)
    {
        _options = options ?? new AdditionTaskOptions();
        _options.Validate();
    }

    /// <summary>The task's options.</summary>
    public AdditionTaskOptions Options => _options;

    /// <summary>Whether the pair (a, b) belongs to the held-out split.</summary>
    public bool IsHeldOut(long a, long b)
    {
        return HeldOutSplit.IsHeldOut(unchecked((ulong)a * 0x9E3779B97F4A7C15UL + (ulong)b + 0x632BE59BD9B4E019UL), _options.HeldOutFraction);
    }

    /// <summary>Draws <paramref name="count"/> training problems (never from the held-out split).</summary>
    public IReadOnlyList<AdditionProblem> SampleTraining(Random random, int count) => Sample(random, count, heldOut: false, fullWidthOnly: false);

    /// <summary>Draws <paramref name="count"/> distinct held-out problems with <see cref="AdditionTaskOptions.MaxDigits"/>-digit operands.</summary>
    public IReadOnlyList<AdditionProblem> SampleHeldOut(Random random, int count) => Sample(random, count, heldOut: true, fullWidthOnly: true);

    private IReadOnlyList<AdditionProblem> Sample(Random random, int count, bool heldOut, bool fullWidthOnly)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (heldOut && _options.HeldOutFraction == 0 && count > 0)
            throw new InvalidOperationException("The held-out split is empty (HeldOutFraction is 0).");
        var result = new List<AdditionProblem>(count);
        var seen = heldOut ? new HashSet<(long, long)>() : null;
        long space = Pow10(_options.MaxDigits) - Pow10(_options.MaxDigits - 1);
        if (seen is not null && count > space * space * _options.HeldOutFraction * 0.5)
            throw new ArgumentOutOfRangeException(nameof(count), "Too many distinct held-out problems requested for this digit count.");
        while (result.Count < count)
        {
            bool full = fullWidthOnly || random.NextDouble() < _options.MaxDigitsShare;
            long a = Operand(random, full);
            long b = Operand(random, full);
            if (IsHeldOut(a, b) != heldOut) continue;
            if (seen is not null && !seen.Add((a, b))) continue;
            result.Add(new AdditionProblem(a, b));
        }
        return result;
    }

    private long Operand(Random random, bool fullWidth)
    {
        int digits = fullWidth ? _options.MaxDigits : random.Next(_options.MinDigits, _options.MaxDigits + 1);
        long low = digits == 1 ? 0 : Pow10(digits - 1);
        return random.NextInt64(low, Pow10(digits));
    }

    private static long Pow10(int n)
    {
        long p = 1;
        for (int i = 0; i < n; i++) p *= 10;
        return p;
    }
}
